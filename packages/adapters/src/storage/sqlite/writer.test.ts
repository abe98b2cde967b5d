import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus, eventRoutes } from '@aetherlink/core';
import { eventually, makeAuditRecord, makeEvent, makeHealRecord, makeService } from '@aetherlink/core/testing';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { aetherlinkFastify } from '../../http/fastify.js';
import { eventWrites, openDatabase, sqliteEventStore, sqliteStores, type EventWriter, type SqliteStores } from './index.js';
import { WRITE_METHODS } from './writer-protocol.js';

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

  it('commits the writes of one turn together, where one that fails rolls back alone', async () => {
    const stores = sqliteStores({ path: join(mkdtempSync(join(tmpdir(), 'aetherlink-writer-')), 'a.db') });
    opened.push(stores);
    const things = { name: 'things', unique: ['slug'] };
    await stores.documents.put(things, { id: 'a', data: { slug: 's' } });
    const results = await Promise.allSettled([
      stores.events.append(makeEvent({ id: 'e1' }), RECEIVED),
      stores.documents.put(things, { id: 'b', data: { slug: 's' } }),
      stores.audit.append([makeAuditRecord({ status: 403 })]),
      stores.registry.upsert(makeService({ name: 'billing' })),
      stores.documents.put(things, { id: 'c', data: { slug: 't' } }),
      stores.events.append(makeEvent({ id: 'e2' }), RECEIVED),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
    expect((await stores.events.query({ limit: 5, order: 'asc' })).map((e) => e.id)).toEqual(['e1', 'e2']);
    expect((await stores.documents.list(things)).map((d) => d.id)).toEqual(['a', 'c']);
    expect((await stores.audit.stats()).denied_403_forbidden).toBe(1);
    expect(await stores.registry.get('billing')).not.toBeNull();
  });

  it('fails every write of a turn the disk refuses, and acknowledges none of them', async () => {
    const stores = sqliteStores({ path: join(mkdtempSync(join(tmpdir(), 'aetherlink-writer-')), 'a.db') });
    opened.push(stores);
    await stores.events.append(makeEvent({ id: 'kept' }), RECEIVED);
    const pages = stores.db.pragma('page_count', { simple: true }) as number;
    await stores.writerPragma(`max_page_count = ${pages}`);
    const pad = 'x'.repeat(50_000);
    const results = await Promise.allSettled([
      stores.audit.append([makeAuditRecord({ meta: { pad } })]),
      stores.events.append(makeEvent({ id: 'big', data: { pad } }), RECEIVED),
      stores.heal.append(makeHealRecord({ message: pad })),
    ]);
    expect(results.map((r) => (r.status === 'rejected' ? (r.reason as { code?: string }).code : 'stored'))).toEqual(['unavailable', 'unavailable', 'unavailable']);
    await stores.writerPragma('max_page_count = 1000000');
    expect((await stores.events.query({ limit: 5 })).map((e) => e.id)).toEqual(['kept']);
    expect(await stores.audit.query({ limit: 5 })).toEqual([]);
    expect(await stores.heal.count()).toBe(0);
    expect((await stores.events.append(makeEvent({ id: 'after' }), RECEIVED)).inserted).toBe(true);
  });

  it('sends every write method of every store to the writer, and knows every method a store has', async () => {
    // A method added to a store must be named here: a write missing from WRITE_METHODS would run on the read
    // connection, outside the group commit, and contend with the writer thread for the file's lock.
    const READS = {
      audit: ['query', 'stats'],
      registry: ['get', 'list', 'version'],
      documents: ['get', 'list', 'version'],
      deliveries: ['attempts', 'get', 'history', 'stats'],
      heal: ['count', 'list', 'tally'],
    };
    const stores = sqliteStores({ path: ':memory:' });
    opened.push(stores);
    for (const name of Object.keys(READS) as (keyof typeof READS)[]) {
      const methods = Object.keys(stores[name]).filter((k) => k !== 'close');
      expect({ [name]: methods.sort() }).toEqual({ [name]: [...READS[name], ...WRITE_METHODS[name]].sort() });
    }
  });

  it('says when the writer thread has the file open, and why it cannot', async () => {
    const stores = sqliteStores({ path: join(mkdtempSync(join(tmpdir(), 'aetherlink-writer-')), 'a.db') });
    opened.push(stores);
    await stores.ready();
    expect((await stores.events.append(makeEvent({ id: 'after-ready' }), RECEIVED)).inserted).toBe(true);
    const broken = sqliteStores({
      path: join(mkdtempSync(join(tmpdir(), 'aetherlink-writer-')), 'b.db'),
      writerSetup: { module: new URL('./no-such-setup.ts', import.meta.url).href },
    });
    opened.push(broken);
    await expect(broken.ready()).rejects.toThrow(/no-such-setup/);
    await stores.close();
    await expect(stores.ready()).rejects.toMatchObject({ code: 'unavailable' });
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

  it('hands a long turn of appends to another thread in slices, so it commits the first while the rest are made', async () => {
    const db = openDatabase({ path: ':memory:' });
    const writes = eventWrites(db);
    const batches: number[] = [];
    const writer: EventWriter = {
      handOverAt: 3,
      commit: (batch) => (batches.push(batch.length), Promise.resolve().then(() => writes.commit(batch))),
      commits: () => writes.commits(),
      purge: (request) => writes.purge(request),
    };
    const store = sqliteEventStore(db, writer);
    const appended = [1, 2, 3, 4, 5, 6, 7].map((i) => store.append(makeEvent({ id: `h${i}` }), RECEIVED));
    // Two full slices left during the turn; the rest waits for its end.
    expect(batches).toEqual([3, 3]);
    const results = await Promise.all(appended);
    expect(batches).toEqual([3, 3, 1]);
    expect(results.map((r) => r.event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await store.query({ limit: 10, order: 'asc' })).map((e) => e.id)).toEqual(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7']);
    db.close();
  });

  it('keeps the order of 600 appends made in one turn through the writer thread', async () => {
    const stores = sqliteStores({ path: join(mkdtempSync(join(tmpdir(), 'aetherlink-writer-')), 'a.db') });
    opened.push(stores);
    const results = await Promise.all(Array.from({ length: 600 }, (_, i) => stores.events.append(makeEvent({ id: `o${i}` }), RECEIVED)));
    expect(results.map((r) => r.event.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    const stored = await stores.events.query({ limit: 1000, order: 'asc' });
    expect(stored.map((e) => e.id)).toEqual(results.map((r) => r.event.id));
  });
});
