import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus, eventRoutes } from '@aetherlink/core';
import { eventually, makeEvent } from '@aetherlink/core/testing';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { aetherlinkFastify } from '../../http/fastify.js';
import { sqliteStores, type SqliteStores } from './index.js';

const RECEIVED = '2026-01-01T00:00:00.000Z';
const opened: SqliteStores[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describe('the SQLite writer thread', () => {
  it('answers a GET while the writer is held inside a large commit, and acknowledges the appends only after it', async () => {
    const shared = new SharedArrayBuffer(8);
    const flags = new Int32Array(shared);
    const stores = sqliteStores({
      path: join(mkdtempSync(join(tmpdir(), 'aetherlink-writer-')), 'a.db'),
      writerSetup: { module: new URL('./test-support.ts', import.meta.url).href, data: shared },
    });
    opened.push(stores);
    await stores.events.append(makeEvent({ id: 'before' }), RECEIVED);
    // Stands in for a slow fsync: the commit that inserts 'slow' stops inside its transaction until released.
    stores.db.exec(`CREATE TRIGGER hold BEFORE INSERT ON events WHEN NEW.id = 'slow' BEGIN SELECT aetherlink_test_hold(); END`);

    const bus = createEventBus({ store: stores.events });
    const app = Fastify();
    await app.register(aetherlinkFastify, { service: 'writer-test', routes: eventRoutes({ bus }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      let settled = 0;
      const burst = ['slow', ...Array.from({ length: 2000 }, (_, i) => `e${i}`)].map((id) =>
        bus.publish(makeEvent({ id, data: { pad: 'x'.repeat(200) } })).finally(() => settled++),
      );
      await eventually(() => Atomics.load(flags, 0) === 1, 'the writer is inside the commit of the burst');

      const recent = await fetch(`${url}/events/recent?limit=5`, { headers: { 'x-user-roles': 'viewer' } });
      const stats = await fetch(`${url}/events/stats`, { headers: { 'x-user-roles': 'viewer' } });
      // Answered from the read connection while the burst's commit has not finished: it sees the committed state.
      expect(recent.status).toBe(200);
      expect(((await recent.json()) as { events: { id: string }[] }).events.map((e) => e.id)).toEqual(['before']);
      expect(((await stats.json()) as { total: number }).total).toBe(1);
      expect(Atomics.load(flags, 1)).toBe(0);
      expect(settled).toBe(0);

      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 1);
      const results = await Promise.all(burst);
      expect(results.every((r) => !r.duplicate)).toBe(true);
      expect((await bus.stats()).total).toBe(2002);
    } finally {
      Atomics.store(flags, 1, 1);
      Atomics.notify(flags, 1);
      await app.close();
    }
  });

  it('carries errors back with their code, details and fields, and keeps serving after one', async () => {
    const stores = sqliteStores({ path: join(mkdtempSync(join(tmpdir(), 'aetherlink-writer-')), 'a.db') });
    opened.push(stores);
    const things = { name: 'things', unique: ['slug'] };
    await stores.documents.put(things, { id: 'a', data: { slug: 's' } });
    const taken = await stores.documents.put(things, { id: 'b', data: { slug: 's' } }).catch((e: unknown) => e);
    expect(taken).toMatchObject({ code: 'conflict', details: { conflict: 'unique', existing_id: 'a' } });
    const unsendable = await stores.documents.put(things, { id: 'c', data: { f: () => 1 } as never }).catch((e: unknown) => e);
    expect(unsendable).toMatchObject({ code: 'validation_failed' });
    expect((await stores.documents.put(things, { id: 'c', data: { slug: 't' } })).version).toBeGreaterThan(0);
    expect((await stores.documents.list(things)).map((d) => d.id)).toEqual(['a', 'c']);
  });

  it('commits on the calling thread with writer: inline, as :memory: always does', async () => {
    const stores = sqliteStores({ path: join(mkdtempSync(join(tmpdir(), 'aetherlink-writer-')), 'a.db'), writer: 'inline' });
    opened.push(stores);
    const appended = stores.events.append(makeEvent({ id: 'x' }), RECEIVED);
    stores.events.flush();
    // Committed synchronously by flush(), on this thread: the row is there before the promise is even awaited.
    expect(stores.db.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 1 });
    expect((await appended).inserted).toBe(true);
  });
});
