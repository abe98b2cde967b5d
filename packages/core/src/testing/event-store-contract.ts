import { describe, expect, it } from 'vitest';
import { isAetherError } from '../errors.js';
import { MAX_DATA_DEPTH, type CloudEvent, type Severity } from '../events/envelope.js';
import { MAX_FILTER_VALUES } from '../events/filter.js';
import type { EventStore } from '../stores/types.js';
import { describeEventBucketContract } from './event-bucket-contract.js';
import { withStore } from './helpers.js';

/**
 * Builds a fresh, empty store for each test; `cleanup` runs after it. `peer`, when given, is a second handle on
 * the same data through connections of its own (another pool, another SQLite connection), so races between
 * processes are tested too.
 */
export type StoreFactory<S> = () => Promise<StoreHandle<S>> | StoreHandle<S>;

/** What a `StoreFactory` makes. */
export interface StoreHandle<S> {
  store: S;
  cleanup?: () => Promise<void>;
  peer?: S;
}

let counter = 0;
/**
 * A valid normalized event for store tests.
 * @example await store.append(makeEvent({ type: 'a.b' }), new Date().toISOString())
 */
export function makeEvent(overrides: Partial<CloudEvent> = {}): CloudEvent {
  counter++;
  return {
    specversion: '1.0',
    id: `evt-${counter}-${Math.random().toString(36).slice(2, 8)}`,
    source: 'contract-test',
    type: 'test.happened',
    time: '2026-01-01T00:00:00.000Z',
    datacontenttype: 'application/json',
    data: { n: counter },
    severity: 'info',
    ...overrides,
  };
}

const RECEIVED = '2026-01-01T00:00:01.000Z';

/**
 * The EventStore contract: every implementation (memory, SQLite, Postgres) runs it.
 * @example describeEventStoreContract('memory', () => ({ store: memoryEventStore() }))
 */
export function describeEventStoreContract(name: string, factory: StoreFactory<EventStore>): void {
  describe(`EventStore contract: ${name}`, () => {
    const s = withStore(factory);

    it('stores an event with received_at and an increasing seq', async () => {
      const a = await s.get().append(makeEvent(), RECEIVED);
      const b = await s.get().append(makeEvent(), RECEIVED);
      expect(a.inserted).toBe(true);
      expect(a.event.received_at).toBe(RECEIVED);
      expect(b.event.seq).toBeGreaterThan(a.event.seq);
    });

    it('round-trips every field, nested data and unicode', async () => {
      const event = makeEvent({
        data: { nested: { list: [1, 'two', null, { deep: true }] }, text: 'héllo — 東京 🚀' },
        tenantid: 'acme',
        subject: 'svc/api',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        dataschema: 'https://example.com/schema.json',
        severity: 'critical',
      });
      await s.get().append(event, RECEIVED);
      const [got] = await s.get().query({ limit: 1 });
      const { seq: _seq, received_at, ...rest } = got!;
      expect(rest).toEqual(event);
      expect(received_at).toBe(RECEIVED);
    });

    it('keeps null data and omits absent optional fields', async () => {
      await s.get().append(makeEvent({ data: null }), RECEIVED);
      const [got] = await s.get().query({ limit: 1 });
      expect(got!.data).toBeNull();
      expect('tenantid' in got! && got!.tenantid !== undefined).toBe(false);
    });

    it('dedupes on source + id and returns the stored event', async () => {
      const first = makeEvent({ id: 'same', data: { v: 1 } });
      await s.get().append(first, RECEIVED);
      const again = await s.get().append({ ...first, data: { v: 2 } }, '2026-01-01T00:00:09.000Z');
      expect(again.inserted).toBe(false);
      expect(again.event.data).toEqual({ v: 1 });
      expect(again.event.received_at).toBe(RECEIVED);
      const other = await s.get().append({ ...first, source: 'elsewhere' }, RECEIVED);
      expect(other.inserted).toBe(true);
      expect(await s.get().query({ limit: 10 })).toHaveLength(2);
    });

    it('queries newest first with a limit, and pages with before/after', async () => {
      const seqs: number[] = [];
      for (let i = 0; i < 7; i++) seqs.push((await s.get().append(makeEvent({ data: { i } }), RECEIVED)).event.seq);
      const page1 = await s.get().query({ limit: 3 });
      expect(page1.map((e) => (e.data as { i: number }).i)).toEqual([6, 5, 4]);
      const page2 = await s.get().query({ limit: 3, before: page1[2]!.seq });
      expect(page2.map((e) => (e.data as { i: number }).i)).toEqual([3, 2, 1]);
      const asc = await s.get().query({ limit: 3, order: 'asc', after: seqs[1] });
      expect(asc.map((e) => (e.data as { i: number }).i)).toEqual([2, 3, 4]);
      const window = await s.get().query({ limit: 10, after: seqs[1], before: seqs[4] });
      expect(window.map((e) => (e.data as { i: number }).i)).toEqual([3, 2]);
    });

    it('filters by type (exact, list, prefix), source, severity, tenant and since', async () => {
      await s.get().append(makeEvent({ type: 'autoheal.failed', severity: 'error', source: 'heal', time: '2026-01-02T00:00:00.000Z' }), RECEIVED);
      await s.get().append(makeEvent({ type: 'autoheal.succeeded', source: 'heal', tenantid: 't1' }), RECEIVED);
      await s.get().append(makeEvent({ type: 'ai.fallback.used', severity: 'warning', tenantid: 't1', time: '2026-01-03T00:00:00.000Z' }), RECEIVED);
      await s.get().append(makeEvent({ type: 'autoheal_x.other', severity: 'critical' }), RECEIVED);
      const types = async (q: Parameters<EventStore['query']>[0]) => (await s.get().query(q)).map((e) => e.type).sort();
      expect(await types({ limit: 10, type: 'autoheal.failed' })).toEqual(['autoheal.failed']);
      expect(await types({ limit: 10, type: ['autoheal.failed', 'ai.fallback.used'] })).toEqual(['ai.fallback.used', 'autoheal.failed']);
      expect(await types({ limit: 10, type: 'autoheal.*' })).toEqual(['autoheal.failed', 'autoheal.succeeded']);
      expect(await types({ limit: 10, source: 'heal' })).toEqual(['autoheal.failed', 'autoheal.succeeded']);
      expect(await types({ limit: 10, severity: ['error', 'critical'] })).toEqual(['autoheal.failed', 'autoheal_x.other']);
      expect(await types({ limit: 10, tenantid: 't1' })).toEqual(['ai.fallback.used', 'autoheal.succeeded']);
      expect(await types({ limit: 10, since: '2026-01-02T00:00:00.000Z' })).toEqual(['ai.fallback.used', 'autoheal.failed']);
      expect(await types({ limit: 10, since: '2026-01-02T00:00:00.000Z', severity: 'warning' })).toEqual(['ai.fallback.used']);
      expect(await types({ limit: 10, since: '2026-01-02T00:00:00' })).toEqual(['ai.fallback.used', 'autoheal.failed']);
      let bad: unknown;
      try {
        await s.get().query({ limit: 10, since: 'not a time' });
      } catch (e) {
        bad = e;
      }
      expect((bad as { code?: string })?.code).toBe('validation_failed');
    });

    it('treats % and _ in a type prefix literally', async () => {
      await s.get().append(makeEvent({ type: 'a_b.c' }), RECEIVED);
      await s.get().append(makeEvent({ type: 'axb.c' }), RECEIVED);
      expect((await s.get().query({ limit: 10, type: 'a_b.*' })).map((e) => e.type)).toEqual(['a_b.c']);
    });

    it('counts total, last 24 h and by severity', async () => {
      const now = Date.parse('2026-01-10T12:00:00.000Z');
      const sev: Severity[] = ['info', 'info', 'warning', 'error', 'critical'];
      for (const [i, severity] of sev.entries()) {
        const time = new Date(now - (i < 3 ? 3_600_000 : 3 * 86_400_000)).toISOString();
        await s.get().append(makeEvent({ severity, time }), RECEIVED);
      }
      expect(await s.get().stats(now)).toEqual({
        total: 5,
        last_24h: 3,
        by_severity: { info: 2, warning: 1, error: 1, critical: 1 },
      });
    });

    it('keeps every one of many concurrent appends, each with its own seq', async () => {
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => s.get().append(makeEvent({ data: { i } }), RECEIVED)));
      expect(results.every((r) => r.inserted)).toBe(true);
      expect(new Set(results.map((r) => r.event.seq)).size).toBe(100);
      expect((await s.get().query({ limit: 1000 })).length).toBe(100);
    });

    it('dedupes concurrent appends of the same source + id to one', async () => {
      const event = makeEvent({ id: 'racer' });
      const results = await Promise.all(Array.from({ length: 10 }, () => s.get().append(event, RECEIVED)));
      expect(results.filter((r) => r.inserted)).toHaveLength(1);
      expect(new Set(results.map((r) => r.event.seq)).size).toBe(1);
    });

    it('refuses an event it cannot keep alone, naming data or time, and keeps the others appended with it', async () => {
      let deep: unknown = 'bottom';
      for (let i = 0; i < 5000; i++) deep = { a: deep };
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      const appends = [
        makeEvent({ id: 'ok-1' }),
        makeEvent({ id: 'deep', data: deep }),
        makeEvent({ id: 'year-0', time: '0000-01-01T00:00:00Z' }),
        makeEvent({ id: 'year-10000', time: '9999-12-31T23:59:59-01:00' }),
        makeEvent({ id: 'loose', time: '2024' }),
        makeEvent({ id: 'cycle', data: cyclic }),
        makeEvent({ id: 'ok-2' }),
      ].map((e) => s.get().append(e, RECEIVED));
      const settled = await Promise.allSettled(appends);
      const fields = settled.map((r) => (r.status === 'fulfilled' ? 'stored' : fieldOf(r.reason)));
      expect(fields).toEqual(['stored', 'data', 'time', 'time', 'time', 'data', 'stored']);
      expect((await s.get().query({ limit: 10 })).map((e) => e.id)).toEqual(['ok-2', 'ok-1']);
      expect((await s.get().stats(Date.parse(RECEIVED))).total).toBe(2);
    });

    it('keeps data nested as deep as the envelope allows', async () => {
      let data: unknown = 1;
      for (let i = 0; i < MAX_DATA_DEPTH; i++) data = [data];
      await s.get().append(makeEvent({ data, time: '0001-01-01T00:00:00.000Z' }), RECEIVED);
      const [got] = await s.get().query({ limit: 1 });
      expect(got!.data).toEqual(data);
      expect(got!.time).toBe('0001-01-01T00:00:00.000Z');
    });

    it('dedupes list filters and refuses more than MAX_FILTER_VALUES distinct values, naming the field', async () => {
      await s.get().append(makeEvent({ type: 'a.one', severity: 'error' }), RECEIVED);
      await s.get().append(makeEvent({ type: 'a.two' }), RECEIVED);
      const repeated = Array.from({ length: 2000 }, () => 'error' as const);
      expect((await s.get().query({ limit: 10, severity: repeated })).map((e) => e.type)).toEqual(['a.one']);
      // MAX_FILTER_VALUES distinct types, each given twice, are fine; one more distinct type is not.
      const types = [...Array.from({ length: MAX_FILTER_VALUES - 1 }, (_, i) => `a.t${i}`), 'a.two'];
      expect((await s.get().query({ limit: 10, type: [...types, ...types] })).map((e) => e.type)).toEqual(['a.two']);
      expect(fieldOf(await rejection(s.get().query({ limit: 10, type: [...types, 'a.*'] })))).toBe('type');
    });

    it('reads since as ISO 8601 within the time range only', async () => {
      await s.get().append(makeEvent({ id: 'old', time: '2026-01-01T00:00:00.000Z' }), RECEIVED);
      await s.get().append(makeEvent({ id: 'new', time: '2026-01-03T00:00:00.000Z' }), RECEIVED);
      expect((await s.get().query({ limit: 10, since: '2026-01-02' })).map((e) => e.id)).toEqual(['new']);
      expect(await s.get().query({ limit: 10, since: '0001-01-01T00:00:00Z' })).toHaveLength(2);
      for (const since of ['1', '2024', 'Tue, 1 Nov 2022 10:00:00 +0100', '0000-12-31T00:00:00Z', '2026-02-30T00:00:00Z', '-000712-05-01T00:00:00.000Z']) {
        expect(fieldOf(await rejection(s.get().query({ limit: 10, since }))), since).toBe('since');
      }
    });

    describeEventBucketContract(() => s.get());
  });
}

/** The rejection of a promise that must reject. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** The one field a `validation_failed` error names. */
function fieldOf(error: unknown): string {
  if (!isAetherError(error) || error.code !== 'validation_failed') throw error;
  return error.errors?.map((e) => e.field).join(',') ?? '(no field)';
}
