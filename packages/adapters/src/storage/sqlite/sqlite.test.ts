import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAetherError } from '@aetherlink/core';
import { makeDeliveryInput, makeEvent, makeService } from '@aetherlink/core/testing';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, sqliteStores, type SqliteStores } from './index.js';
import { STATEMENT_CACHE_SIZE } from './statements.js';

const dir = () => mkdtempSync(join(tmpdir(), 'aetherlink-sqlite-'));
const RECEIVED = '2026-01-01T00:00:00.000Z';
const opened: SqliteStores[] = [];
const open = (path: string) => {
  const s = sqliteStores({ path });
  opened.push(s);
  return s;
};
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const openError = (path: string) => {
  try {
    sqliteStores({ path }).close();
  } catch (error) {
    if (isAetherError(error)) return error;
    throw error;
  }
  throw new Error('expected opening to fail');
};

describe('sqlite group commit', () => {
  it('commits the appends of one tick in one transaction, and acknowledges only after commit', async () => {
    const path = join(dir(), 'a.db');
    const stores = open(path);
    const before = stores.events.commits();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => stores.events.append(makeEvent({ id: `e${i}` }), RECEIVED)));
    expect(results.every((r) => r.inserted)).toBe(true);
    // The turn's appends reach the writer thread in slices of 128 (so it commits the first while the rest are
    // checked): one transaction per slice at most, usually one for all, never one per append. How many slices
    // arrive before the thread starts committing depends on the machine, so the bound is the count of slices.
    const commits = stores.events.commits() - before;
    expect(commits).toBeGreaterThanOrEqual(1);
    expect(commits).toBeLessThanOrEqual(Math.ceil(300 / 128));
    // A second connection sees every acknowledged event: they were committed, not just buffered.
    const other = new Database(path, { readonly: true });
    expect((other.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(300);
    other.close();
  });

  it('dedupes two appends of one source + id inside the same batch', async () => {
    const stores = open(join(dir(), 'a.db'));
    const e = makeEvent({ id: 'twice' });
    const [a, b] = await Promise.all([stores.events.append(e, RECEIVED), stores.events.append({ ...e, data: { other: true } }, RECEIVED)]);
    expect([a.inserted, b.inserted]).toEqual([true, false]);
    expect(b.event.seq).toBe(a.event.seq);
    expect(b.event.data).toEqual(e.data);
    expect((await stores.events.stats(Date.parse(RECEIVED))).total).toBe(1);
  });
});

/** Data nested `levels` deep: JSON.parse reads it from a 30 KB body, JSON.stringify overflows the stack on it. */
const nested = (levels: number) => {
  let data: unknown = 1;
  for (let i = 0; i < levels; i++) data = { a: data };
  return data;
};

/** What became of each append: its id once stored, else the field its validation error names (or the message). */
const outcomes = async (appends: Promise<{ event: { id: string } }>[]) =>
  (await Promise.allSettled(appends)).map((r) =>
    r.status === 'fulfilled' ? r.value.event.id : isAetherError(r.reason) && r.reason.errors ? `refused:${r.reason.errors.map((e) => e.field).join(',')}` : `failed:${String(r.reason)}`,
  );

describe('sqlite group commit: one bad event', () => {
  it('refuses a poisoned event alone; the valid events of its batch commit together', async () => {
    const stores = open(join(dir(), 'a.db'));
    const before = stores.events.commits();
    const append = (overrides: Parameters<typeof makeEvent>[0]) => stores.events.append(makeEvent(overrides), RECEIVED);
    const got = await outcomes([
      append({ id: 'v1' }),
      append({ id: 'v2' }),
      append({ id: 'v3' }),
      append({ id: 'deep', data: nested(5000) }),
      append({ id: 'year-0', time: '0000-01-01T00:00:00Z' }),
      append({ id: 'v4' }),
      append({ id: 'v5' }),
      append({ id: 'v6' }),
    ]);
    expect(got).toEqual(['v1', 'v2', 'v3', 'refused:data', 'refused:time', 'v4', 'v5', 'v6']);
    // The bad events never joined the batch: the six valid ones (one hand-over slice) went in one transaction.
    expect(stores.events.commits() - before).toBe(1);
    expect((await stores.events.query({ limit: 10, order: 'asc' })).map((e) => e.id)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    expect((await stores.events.stats(Date.parse(RECEIVED))).total).toBe(6);
  });

  it('writes each event of a failed batch alone, so only the one at fault is refused', async () => {
    const stores = open(join(dir(), 'a.db'));
    // A value that passes every check but that the database refuses inside the transaction.
    stores.db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.id = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`);
    const ids = ['v1', 'v2', 'v3', 'poison', 'v4', 'v5', 'v6'];
    const got = await outcomes(ids.map((id) => stores.events.append(makeEvent({ id }), RECEIVED)));
    expect(got.filter((o) => !o.startsWith('v'))).toEqual([expect.stringMatching(/^failed:.*poisoned/)]);
    expect(got.filter((o) => o.startsWith('v'))).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    // Written alone in arrival order, so seqs still follow it.
    expect((await stores.events.query({ limit: 10, order: 'asc' })).map((e) => e.id)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    expect((await stores.events.stats(Date.parse(RECEIVED))).total).toBe(6);
  });
});

describe('sqlite event queries', () => {
  it('keeps its prepared statements bounded however many query shapes readers ask for', async () => {
    const stores = open(join(dir(), 'a.db'));
    await stores.events.append(makeEvent({ type: 'a.t0' }), RECEIVED);
    const types = Array.from({ length: 16 }, (_, i) => `a.t${i}`);
    const prefixes = Array.from({ length: 16 }, (_, i) => `p${i}.*`);
    let queries = 0;
    for (let exact = 1; exact <= 16; exact++) {
      for (let prefix = 0; prefix <= 16 - exact; prefix++) {
        for (const order of ['asc', 'desc'] as const) {
          const found = await stores.events.query({ limit: 5, order, type: [...types.slice(0, exact), ...prefixes.slice(0, prefix)] });
          expect(found.map((e) => e.type)).toEqual(['a.t0']);
          expect(stores.events.statements()).toBeLessThanOrEqual(STATEMENT_CACHE_SIZE);
          queries++;
        }
      }
    }
    expect(queries).toBeGreaterThan(STATEMENT_CACHE_SIZE);
    expect(stores.events.statements()).toBe(STATEMENT_CACHE_SIZE);
  });

  it('answers since queries exactly whether or not the window holds the newest events', async () => {
    const stores = open(join(dir(), 'a.db'));
    const now = Date.parse('2026-06-01T12:00:00.000Z');
    const at = (ms: number) => new Date(ms).toISOString();
    // 2500 events: the first ten (lowest seqs) carry recent times, the rest are a day old; then five recent ones.
    const events = [
      ...Array.from({ length: 10 }, (_, i) => makeEvent({ id: `early-recent-${i}`, time: at(now - 60_000) })),
      ...Array.from({ length: 2490 }, (_, i) => makeEvent({ id: `old-${i}`, time: at(now - 86_400_000) })),
      ...Array.from({ length: 5 }, (_, i) => makeEvent({ id: `late-recent-${i}`, time: at(now - 1000) })),
    ];
    await Promise.all(events.map((e) => stores.events.append(e, RECEIVED)));
    const since = at(now - 3_600_000);
    const ids = async (q: Omit<Parameters<typeof stores.events.query>[0], 'since'>) => (await stores.events.query({ ...q, since })).map((e) => e.id);
    // The newest rows hold only five matches: the page is completed from the time index's bound.
    expect(await ids({ limit: 8 })).toEqual([4, 3, 2, 1, 0].map((i) => `late-recent-${i}`).concat(['early-recent-9', 'early-recent-8', 'early-recent-7']));
    expect(await ids({ limit: 3 })).toEqual(['late-recent-4', 'late-recent-3', 'late-recent-2']);
    expect(await ids({ limit: 4, order: 'asc' })).toEqual(['early-recent-0', 'early-recent-1', 'early-recent-2', 'early-recent-3']);
    expect(await ids({ limit: 100, severity: 'info', source: 'contract-test' })).toHaveLength(15);
    expect(await stores.events.query({ limit: 5, since: at(now + 60_000) })).toEqual([]);
  });

  it('prepares one statement for a list filter however often a value repeats', async () => {
    const stores = open(join(dir(), 'a.db'));
    await stores.events.append(makeEvent({ severity: 'error' }), RECEIVED);
    const before = stores.events.statements();
    for (let n = 1; n <= 300; n++) {
      expect(await stores.events.query({ limit: 1, severity: Array.from({ length: n }, () => 'error' as const) })).toHaveLength(1);
    }
    expect(stores.events.statements() - before).toBe(1);
  });
});

describe('sqlite files', () => {
  it('keeps everything across close and reopen, without re-running migrations', async () => {
    const path = join(dir(), 'nested', 'deeper', 'a.db');
    const first = open(path);
    await first.events.append(makeEvent({ id: 'kept', severity: 'error' }), RECEIVED);
    await first.audit.append([{ ts: RECEIVED, service: 's', method: 'GET', path: '/x', roles: [], status: 401, client_ip: '1.2.3.4', duration_ms: 1 }]);
    await first.registry.upsert(makeService({ name: 'billing' }));
    const d = await first.deliveries.enqueue(makeDeliveryInput(), Date.parse(RECEIVED));
    await first.close();
    const again = open(path);
    expect((await again.events.query({ limit: 5 })).map((e) => e.id)).toEqual(['kept']);
    expect((await again.events.stats(Date.parse(RECEIVED))).by_severity.error).toBe(1);
    expect((await again.audit.stats()).denied_401_unauthorized).toBe(1);
    expect((await again.registry.get('billing'))?.name).toBe('billing');
    expect((await again.deliveries.get(d.id))?.status).toBe('pending');
    expect(again.db.prepare('SELECT version FROM schema_migrations').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
  });

  it('refuses a file that is not a database, saying so', () => {
    const path = join(dir(), 'corrupt.db');
    writeFileSync(path, 'this is not a database, it is a text file that happens to be long enough to have a header'.repeat(50));
    const err = openError(path);
    expect(err.code).toBe('config_invalid');
    expect(err.message).toMatch(/corrupt\.db is not a SQLite database or is corrupt/);
  });

  it('refuses a file it cannot write, saying so', async () => {
    const base = dir();
    const path = join(base, 'ro.db');
    open(path);
    await opened.pop()!.close();
    // Root ignores file modes, so make the file immutable instead (ext4 attribute; undone at the end).
    const set = spawnSync('chattr', ['+i', path]);
    expect(set.status, `chattr failed: ${set.stderr}`).toBe(0);
    try {
      const err = openError(path);
      expect(err.code).toBe('config_invalid');
      expect(err.message).toMatch(/ro\.db cannot be written/);
    } finally {
      spawnSync('chattr', ['-i', path]);
    }
  });

  it('refuses a database migrated by a newer AetherLink', async () => {
    const path = join(dir(), 'future.db');
    const s = open(path);
    s.db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', '2030-01-01')").run();
    await opened.pop()!.close();
    expect(openError(path).message).toMatch(/newer AetherLink/);
  });

  it('moves the registry settings an older version kept in meta into their fields, giving each record a revision', async () => {
    const path = join(dir(), 'old.db');
    // A file as version 1 left it: lease length and check settings packed into meta under reserved keys.
    const old = new Database(path);
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    old.exec(MIGRATIONS.find((m) => m.version === 1)!.sql);
    old.prepare("INSERT INTO schema_migrations VALUES (1, 'initial schema', '2026-01-01')").run();
    old.prepare("INSERT INTO counters (name, n) VALUES ('registry_version', 7)").run();
    const { ttl_seconds: _t, check: _c, ...v1 } = makeService({ name: 'billing', tags: ['pay'] });
    const check = { status: '200-399', body_path: 'status', body_ok: ['ok'] };
    const rows = {
      billing: { ...v1, meta: { team: 'ops', 'aetherlink.ttl_seconds': '30', 'aetherlink.check': JSON.stringify(check) } },
      legacy: { ...v1, name: 'legacy', meta: {} },
      // Edited by hand: values the registry never wrote read as absent, as they did before.
      edited: { ...v1, name: 'edited', meta: { 'aetherlink.ttl_seconds': '1.5', 'aetherlink.check': '{not json' } },
      listed: { ...v1, name: 'listed', meta: { 'aetherlink.ttl_seconds': '-3', 'aetherlink.check': '["a"]' } },
    };
    for (const row of Object.values(rows)) {
      old.prepare('INSERT INTO services (name, status, record) VALUES (?, ?, ?)').run(row.name, row.status, JSON.stringify(row));
      old.prepare('INSERT INTO service_tags (name, tag) VALUES (?, ?)').run(row.name, 'pay');
    }
    old.close();

    const stores = open(path);
    expect(stores.db.prepare('SELECT version FROM schema_migrations').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    expect(await stores.registry.get('billing')).toEqual({ ...v1, meta: { team: 'ops' }, ttl_seconds: 30, check, revision: 7 });
    expect(await stores.registry.get('legacy')).toMatchObject({ meta: {}, ttl_seconds: null, check: null, revision: 7 });
    expect(await stores.registry.get('edited')).toMatchObject({ meta: {}, ttl_seconds: null, check: null });
    expect(await stores.registry.get('listed')).toMatchObject({ meta: {}, ttl_seconds: null, check: null });
    expect((await stores.registry.list({ tag: 'pay' })).map((r) => r.name)).toEqual(['billing', 'edited', 'legacy', 'listed']);
    // The next write moves past every migrated revision.
    expect((await stores.registry.patch('billing', { status: 'ok' }, { ifRevision: 7 }))!.revision).toBeGreaterThan(7);
  });
});
