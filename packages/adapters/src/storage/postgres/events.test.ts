import { isAetherError, type StoredEvent } from '@aetherlink/core';
import { eventually, makeEvent } from '@aetherlink/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBatchInfo } from './events.js';
import { noticePayloads } from './event-watcher.js';
import { openPostgresStores } from './stores.js';
import type { PostgresStores } from './stores.js';
import { dropSchema, sql, testDatabaseUrl, uniqueSchema, within } from '../../../../../test/postgres.js';

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
      // The positive signal: the store's session is inside COMMIT, blocked on the lock. Its INSERT has answered
      // by then, so an append resolved before commit would have settled already.
      await eventually(
        async () =>
          (
            await sql<{ query: string }>(
              `SELECT a.query FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
               WHERE l.locktype = 'advisory' AND l.objid = 4242 AND NOT l.granted`,
            )
          ).some((r) => r.query === 'COMMIT'),
        'the COMMIT to wait for the lock',
      );
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

  it('refuses a poisoned event alone; the valid events of its batch commit together', async () => {
    const batches: EventBatchInfo[] = [];
    const stores = await open(uniqueSchema('gc'), { onEventBatch: (b) => batches.push(b) });
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
    // The bad events never joined the batch: the six valid ones went in one transaction.
    expect(batches).toEqual([expect.objectContaining({ size: 6, inserted: 6 })]);
    expect((await stores.events.query({ limit: 10, order: 'asc' })).map((e) => e.id)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
  });

  it('writes each event of a failed batch alone, so only the one at fault is refused, naming its field', async () => {
    const batches: EventBatchInfo[] = [];
    const stores = await open(uniqueSchema('gc'), { onEventBatch: (b) => batches.push(b) });
    const s = `"${stores.schema}"`;
    // Values that pass every check but that the server refuses inside the transaction, as a date/time or a JSON
    // error would be.
    await sql(`CREATE FUNCTION ${s}.poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
                 IF NEW.id = 'poison-time' THEN RAISE EXCEPTION 'date/time field value out of range' USING ERRCODE = '22008'; END IF;
                 IF NEW.id = 'poison-data' THEN RAISE EXCEPTION 'invalid input syntax for type json' USING ERRCODE = '22P02'; END IF;
                 RETURN NEW; END $$`);
    await sql(`CREATE TRIGGER poison BEFORE INSERT ON ${s}.events FOR EACH ROW EXECUTE FUNCTION ${s}.poison()`);
    const ids = ['v1', 'v2', 'v3', 'poison-time', 'v4', 'poison-data', 'v5', 'v6'];
    const got = await outcomes(ids.map((id) => stores.events.append(makeEvent({ id }), RECEIVED)));
    expect(got).toEqual(['v1', 'v2', 'v3', 'refused:time', 'v4', 'refused:data', 'v5', 'v6']);
    // One failed batch of eight, then each alone; seqs still follow the order of arrival.
    expect(batches.map((b) => b.size)).toEqual([1, 1, 1, 1, 1, 1]);
    expect((await stores.events.query({ limit: 10, order: 'asc' })).map((e) => e.id)).toEqual(['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
    expect((await stores.events.stats(Date.now())).total).toBe(6);
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

    // B's own append reaches A, which shows A's watcher works. Notices arrive and are handled in commit order, so
    // by then A has handled (and skipped) the notices of its own three events.
    const fromB = await b.events.append(makeEvent({ type: 'y.back' }), RECEIVED);
    await eventually(() => atA.seen.length >= 1, 'A receives the event B appended');
    expect(atA.seen).toEqual([fromB.event]);
    // Likewise a marker A appends after B's event: once B has it, B has handled (and skipped) its own notice.
    const marker = await a.events.append(makeEvent({ type: 'z.marker' }), RECEIVED);
    await eventually(() => atB.seen.some((e) => e.seq === marker.event.seq), 'B receives the marker A appended after y.back');
    expect(atB.seen).toEqual([...appended.map((r) => r.event), marker.event]);
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
  }, 30_000); // the wait above is 20 s, past vitest's default of 5 s per test

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
