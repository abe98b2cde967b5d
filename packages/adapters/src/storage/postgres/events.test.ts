import { isAetherError, type StoredEvent } from '@aetherlink/core';
import { eventually, makeEvent } from '@aetherlink/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBatchInfo } from './events.js';
import { noticePayloads } from './event-watcher.js';
import { openPostgresStores } from './stores.js';
import type { PostgresStores } from './stores.js';
import { dropSchema, sql, testDatabaseUrl, uniqueSchema, within } from './test-support.js';

const RECEIVED = '2026-01-01T00:00:01.000Z';

// Stores opened by a test, closed and their schema dropped after it.
let opened: PostgresStores[] = [];
let schemas: string[] = [];
const open = async (schema: string, extra: { instanceId?: string; onEventBatch?: (info: EventBatchInfo) => void } = {}) => {
  if (!schemas.includes(schema)) schemas.push(schema);
  const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, poolSize: 4, ...extra });
  opened.push(stores);
  return stores;
};
afterEach(async () => {
  await Promise.all(opened.map((s) => s.close()));
  for (const schema of schemas) await dropSchema(schema);
  opened = [];
  schemas = [];
});

const settled = <T>(promise: Promise<T>) => {
  const state = { done: false };
  void promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
};

describe('postgres event store: group commit', () => {
  it('writes many concurrent appends in few transactions, one seq each', async () => {
    const batches: EventBatchInfo[] = [];
    const stores = await open(uniqueSchema('gc'), { onEventBatch: (b) => batches.push(b) });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => stores.events.append(makeEvent({ data: { i } }), RECEIVED)));
    expect(results.every((r) => r.inserted)).toBe(true);
    expect(new Set(results.map((r) => r.event.seq)).size).toBe(300);
    // 300 appends issued in one tick: one batch of 300 (the batch limit is 500), so one transaction.
    expect(batches.map((b) => b.size)).toEqual([300]);
    expect(batches[0]!.inserted).toBe(300);
    // Seqs follow the order the appends were made in.
    const seqs = results.map((r) => r.event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect((await stores.events.stats(Date.now())).total).toBe(300);
  });

  it('splits more appends than one batch holds into several transactions', async () => {
    const batches: EventBatchInfo[] = [];
    const stores = await open(uniqueSchema('gc'), { onEventBatch: (b) => batches.push(b) });
    await Promise.all(Array.from({ length: 1200 }, () => stores.events.append(makeEvent(), RECEIVED)));
    expect(batches.reduce((n, b) => n + b.size, 0)).toBe(1200);
    expect(batches.length).toBe(3);
    expect(Math.max(...batches.map((b) => b.size))).toBeLessThanOrEqual(500);
  });

  it('groups appends that arrive while a batch is being written', async () => {
    const batches: EventBatchInfo[] = [];
    const stores = await open(uniqueSchema('gc'), { onEventBatch: (b) => batches.push(b) });
    // 20 waves of 10 appends, each wave started without waiting for the previous one.
    const all: Promise<unknown>[] = [];
    for (let wave = 0; wave < 20; wave++) {
      for (let i = 0; i < 10; i++) all.push(stores.events.append(makeEvent(), RECEIVED));
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(all);
    expect(batches.reduce((n, b) => n + b.size, 0)).toBe(200);
    expect(batches.length).toBeLessThan(20);
  });

  it('resolves an append only after its transaction committed', async () => {
    const stores = await open(uniqueSchema('gc'));
    const s = `"${stores.schema}"`;
    // A deferred constraint trigger runs at COMMIT; it waits for an advisory lock this test holds, so the commit
    // (not the INSERT) is what hangs.
    await sql(`CREATE FUNCTION ${s}.wait_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NULL; END $$`);
    await sql(`CREATE CONSTRAINT TRIGGER wait_at_commit AFTER INSERT ON ${s}.events DEFERRABLE INITIALLY DEFERRED
               FOR EACH ROW EXECUTE FUNCTION ${s}.wait_at_commit()`);
    const locker = new pg.Client({ connectionString: testDatabaseUrl() });
    await locker.connect();
    try {
      await locker.query('SELECT pg_advisory_lock(4242)');
      const pending = stores.events.append(makeEvent({ id: 'held-back' }), RECEIVED);
      const state = settled(pending);
      await eventually(
        async () => (await sql(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND NOT granted`)).length === 1,
        'the COMMIT to wait for the lock',
      );
      await new Promise((r) => setTimeout(r, 200));
      expect(state.done).toBe(false);
      expect(await sql(`SELECT 1 FROM ${s}.events WHERE id = 'held-back'`)).toHaveLength(0);
      await locker.query('SELECT pg_advisory_unlock(4242)');
      const result = await within(pending, 5000, 'the held-back append');
      expect(result.inserted).toBe(true);
      expect(await sql(`SELECT 1 FROM ${s}.events WHERE id = 'held-back'`)).toHaveLength(1);
    } finally {
      await locker.end();
    }
  });

  it('handles duplicates inside one batch and against stored rows', async () => {
    const batches: EventBatchInfo[] = [];
    const stores = await open(uniqueSchema('gc'), { onEventBatch: (b) => batches.push(b) });
    const stored = (await stores.events.append(makeEvent({ id: 'old', data: { v: 'first' } }), RECEIVED)).event;
    batches.length = 0;
    const twin = makeEvent({ id: 'twin', data: { v: 1 } });
    const results = await Promise.all([
      stores.events.append(twin, RECEIVED),
      stores.events.append({ ...twin, data: { v: 2 } }, RECEIVED),
      stores.events.append(makeEvent({ id: 'old', data: { v: 'second' } }), RECEIVED),
      stores.events.append(twin, RECEIVED),
      stores.events.append(makeEvent({ id: 'solo' }), RECEIVED),
    ]);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toMatchObject({ size: 5, inserted: 2 });
    expect(results.map((r) => r.inserted)).toEqual([true, false, false, false, true]);
    expect(results[1]!.event).toEqual(results[0]!.event);
    expect(results[3]!.event.seq).toBe(results[0]!.event.seq);
    expect(results[1]!.event.data).toEqual({ v: 1 });
    expect(results[2]!.event).toEqual(stored);
    expect((await stores.events.stats(Date.now())).total).toBe(3);
  });

  it('rejects a bad event alone, not the batch it would have joined', async () => {
    const stores = await open(uniqueSchema('gc'));
    const [good, badTime, badText] = await Promise.allSettled([
      stores.events.append(makeEvent({ id: 'good', data: { text: 'nul \u0000 inside data is fine' } }), RECEIVED),
      stores.events.append(makeEvent({ time: 'not a time' }), RECEIVED),
      stores.events.append(makeEvent({ source: 'bad\u0000source' }), RECEIVED),
    ]);
    expect(good.status).toBe('fulfilled');
    for (const bad of [badTime, badText]) {
      expect(bad.status).toBe('rejected');
      const reason = (bad as PromiseRejectedResult).reason;
      expect(isAetherError(reason) && reason.code).toBe('validation_failed');
    }
    const [got] = await stores.events.query({ limit: 10 });
    expect(got!.data).toEqual({ text: 'nul \u0000 inside data is fine' });
  });

  it('writes what was accepted before close', async () => {
    const schema = uniqueSchema('gc');
    const stores = await open(schema);
    const appends = Array.from({ length: 50 }, () => stores.events.append(makeEvent(), RECEIVED));
    await stores.close();
    expect((await Promise.all(appends)).every((r) => r.inserted)).toBe(true);
    expect(await sql(`SELECT count(*)::int AS n FROM "${schema}".events`)).toEqual([{ n: 50 }]);
    let error: unknown;
    await stores.events.append(makeEvent(), RECEIVED).catch((e: unknown) => (error = e));
    expect(isAetherError(error) && error.code).toBe('unavailable');
  });
});

describe('postgres event store: watch (LISTEN/NOTIFY)', () => {
  const collect = (stores: PostgresStores) => {
    const seen: StoredEvent[] = [];
    const off = stores.events.watch((e) => seen.push(e));
    return { seen, off };
  };

  it("hands events appended through A to B's listener and not to A's own", async () => {
    const schema = uniqueSchema('watch');
    const a = await open(schema, { instanceId: 'inst-a' });
    const b = await open(schema, { instanceId: 'inst-b' });
    const atA = collect(a);
    const atB = collect(b);
    await within(Promise.all([a.events.listening(), b.events.listening()]), 5000, 'LISTEN on both');

    const appended = await Promise.all([
      a.events.append(makeEvent({ type: 'x.one' }), RECEIVED),
      a.events.append(makeEvent({ type: 'x.two' }), RECEIVED),
      a.events.append(makeEvent({ type: 'x.three' }), RECEIVED),
    ]);
    await a.events.append(appended[0]!.event, RECEIVED); // a duplicate: nothing new to announce
    await eventually(() => atB.seen.length >= 3, 'B receives the three events');
    expect(atB.seen).toEqual(appended.map((r) => r.event));

    // B's own append reaches A, which shows A's watcher works and only skipped its own events.
    const fromB = await b.events.append(makeEvent({ type: 'y.back' }), RECEIVED);
    await eventually(() => atA.seen.length >= 1, 'A receives the event B appended');
    await new Promise((r) => setTimeout(r, 200));
    expect(atA.seen).toEqual([fromB.event]);
    expect(atB.seen).toHaveLength(3);
  });

  it('announces large batches in several notifications, each under the payload limit', async () => {
    const schema = uniqueSchema('watch');
    const a = await open(schema, { instanceId: 'inst-a' });
    const b = await open(schema, { instanceId: 'inst-b' });
    const atB = collect(b);
    await within(b.events.listening(), 5000, 'LISTEN');
    const results = await Promise.all(Array.from({ length: 1200 }, (_, i) => a.events.append(makeEvent({ data: { i } }), RECEIVED)));
    await eventually(() => atB.seen.length >= 1200, 'B receives all 1200 events', 20_000);
    expect(atB.seen.map((e) => e.seq)).toEqual(results.map((r) => r.event.seq).sort((x, y) => x - y));
  });

  it('re-LISTENs after its connection is killed and catches up on what it missed', async () => {
    const schema = uniqueSchema('watch');
    const a = await open(schema, { instanceId: 'inst-a' });
    const b = await open(schema, { instanceId: 'inst-b' });
    const atB = collect(b);
    await within(b.events.listening(), 5000, 'LISTEN');
    const listenerPid = async () =>
      (await sql<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'aetherlink-listen:inst-b'`)).map((r) => r.pid);
    const [before] = await listenerPid();
    expect(before).toBeTypeOf('number');

    await sql('SELECT pg_terminate_backend($1)', [before]);
    // Appended right away: it lands while B is reconnecting (caught up) or after it listens again (notified).
    const missed = await a.events.append(makeEvent({ type: 'during.outage' }), RECEIVED);
    await eventually(() => atB.seen.some((e) => e.seq === missed.event.seq), 'B receives the event appended during its reconnect');
    const [after] = await eventually(async () => {
      const pids = await listenerPid();
      return pids.length === 1 && pids[0] !== before ? pids : undefined;
    }, 'a new listener session');
    expect(after).not.toBe(before);

    const later = await a.events.append(makeEvent({ type: 'after.reconnect' }), RECEIVED);
    await eventually(() => atB.seen.some((e) => e.seq === later.event.seq), 'B receives events after reconnecting');
    expect(atB.seen.filter((e) => e.seq === missed.event.seq)).toHaveLength(1);
  });

  it('closes its listening session when the last listener leaves', async () => {
    const schema = uniqueSchema('watch');
    const b = await open(schema, { instanceId: 'inst-quiet' });
    const sessions = async () => (await sql(`SELECT 1 FROM pg_stat_activity WHERE application_name = 'aetherlink-listen:inst-quiet'`)).length;
    const first = collect(b);
    const second = collect(b);
    await within(b.events.listening(), 5000, 'LISTEN');
    expect(await sessions()).toBe(1);
    first.off();
    expect(await sessions()).toBe(1);
    second.off();
    await eventually(async () => (await sessions()) === 0, 'the listening session to close');
  });
});

describe('noticePayloads', () => {
  it('splits seqs into payloads under the limit, in order, losing none', () => {
    const seqs = Array.from({ length: 5000 }, (_, i) => 9_000_000_000 + i);
    const payloads = noticePayloads('host:1234:abcd', seqs);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect(payloads.flatMap((p) => (JSON.parse(p) as { s: number[] }).s)).toEqual(seqs);
    expect(payloads.every((p) => (JSON.parse(p) as { i: string }).i === 'host:1234:abcd')).toBe(true);
  });
});
