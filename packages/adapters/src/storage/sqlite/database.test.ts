import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AetherError, isAetherError } from '@aetherlink/core';
import { errorCode, makeEvent } from '@aetherlink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { translateError } from './database.js';
import { sqliteStores, type SqliteStores } from './index.js';

const RECEIVED = '2026-01-01T00:00:00.000Z';
const sqliteError = (code: string) => Object.assign(new Error(`sqlite says ${code}`), { code });

describe('SQLite errors met while serving', () => {
  it.each([
    ['SQLITE_FULL', /the disk is full \(SQLITE_FULL\)/],
    ['SQLITE_IOERR', /the disk refused a read or write \(SQLITE_IOERR\)/],
    ['SQLITE_IOERR_WRITE', /the disk refused a read or write/],
    ['SQLITE_IOERR_FSYNC', /the disk refused a read or write/],
    ['SQLITE_IOERR_SHMSIZE', /the disk refused a read or write/],
    ['SQLITE_BUSY', /another connection holds the lock/],
    ['SQLITE_READONLY_DBMOVED', /read-only/],
  ])('%s is unavailable, saying why', (code, message) => {
    const raw = sqliteError(code);
    const mapped = translateError(raw);
    expect(isAetherError(mapped) && mapped.code).toBe('unavailable');
    expect((mapped as AetherError).message).toMatch(message);
    expect((mapped as AetherError).cause).toBe(raw);
  });

  it('passes other errors through untouched', () => {
    const constraint = sqliteError('SQLITE_CONSTRAINT_UNIQUE');
    expect(translateError(constraint)).toBe(constraint);
    const already = new AetherError('conflict', 'taken');
    expect(translateError(already)).toBe(already);
    const plain = new TypeError('not SQLite at all');
    expect(translateError(plain)).toBe(plain);
  });
});

describe('a SQLite store that runs out of room', () => {
  const opened: SqliteStores[] = [];
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  it('rejects appends as unavailable while full, takes them again once there is room, and keeps what it acknowledged', async () => {
    const stores = sqliteStores({ path: join(mkdtempSync(join(tmpdir(), 'aetherlink-sqlite-')), 'full.db') });
    opened.push(stores);
    // max_page_count makes SQLite answer SQLITE_FULL exactly as a full disk does, at a size we choose. It is a
    // setting of one connection: the write connection's, in the writer thread.
    const pages = stores.db.pragma('page_count', { simple: true }) as number;
    await stores.writerPragma(`max_page_count = ${pages + 8}`);
    const acked: string[] = [];
    let refused: string | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const event = makeEvent({ id: `e${i}`, data: { pad: 'x'.repeat(2000) } });
      try {
        await stores.events.append(event, RECEIVED);
        acked.push(event.id);
      } catch (error) {
        refused = isAetherError(error) ? error.code : String(error);
      }
    }
    expect(refused, `no refusal after ${acked.length} appends`).toBe('unavailable');
    expect(acked.length).toBeGreaterThan(0);
    // Still full: the next append is refused the same way, and the store still answers reads.
    expect(await errorCode(stores.events.append(makeEvent({ id: 'refused', data: { pad: 'x'.repeat(2000) } }), RECEIVED))).toBe('unavailable');
    expect((await stores.events.query({ limit: 1 })).length).toBe(1);

    await stores.writerPragma('max_page_count = 1000000');
    await stores.events.append(makeEvent({ id: 'after' }), RECEIVED);
    acked.push('after');
    const stored = (await stores.events.query({ limit: 1000 })).map((e) => e.id);
    expect(stored.sort()).toEqual([...acked].sort());
    expect((await stores.events.stats(Date.parse(RECEIVED))).total).toBe(acked.length);
  });
});
