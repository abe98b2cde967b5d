import { describe, expect, it } from 'vitest';
import { createManualClock, sleep } from '../clock.js';
import { createMetricsRegistry } from '../metrics.js';
import { memoryStores } from '../stores/memory/index.js';
import type { PurgeRequest, Stores } from '../stores/types.js';
import { eventually, makeAuditRecord, makeDeliveryInput, makeEvent, makeHealRecord, memoryLogger } from '../testing/index.js';
import { retentionModule } from './module.js';
import { DEFAULT_RETENTION_POLICY, purgeRequestFor } from './policy.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('purgeRequestFor', () => {
  it('turns a rule into a batch request at a time, or nothing for a rule that keeps everything', () => {
    expect(purgeRequestFor({ maxAgeMs: DAY, maxCount: 10 }, T0, 500)).toEqual({ olderThan: iso(T0 - DAY), keepNewest: 10, limit: 500 });
    expect(purgeRequestFor({ maxAgeMs: 0, maxCount: 10 }, T0, 5)).toEqual({ keepNewest: 10, limit: 5 });
    expect(purgeRequestFor({ maxAgeMs: 0, maxCount: 0 }, T0, 5)).toBeUndefined();
    expect(purgeRequestFor({}, T0, 5)).toBeUndefined();
    expect(DEFAULT_RETENTION_POLICY.events).toEqual({ maxAgeMs: 30 * DAY, maxCount: 1_000_000 });
  });
});

describe('retentionModule', () => {
  const seed = async (stores: Stores) => {
    // Ten of each kind, one a day from T0 - 9 days to T0.
    for (let i = 0; i < 10; i++) {
      const at = T0 - (9 - i) * DAY;
      await stores.events.append(makeEvent({ id: `e${i}`, time: iso(at) }), iso(at));
      await stores.audit.append([makeAuditRecord({ ts: iso(at) })]);
      await stores.heal.append(makeHealRecord({ id: `h${i}`, ts: iso(at) }));
      const d = await stores.deliveries.enqueue(makeDeliveryInput({ id: `d${i}`, max_attempts: 1 }), at);
      await stores.deliveries.lease({ owner: 'w', now: at, leaseMs: 1000, limit: 1 });
      const status = i === 0 ? 500 : 200;
      const attempt = { attempt: 1, at: iso(at), duration_ms: 1, status_code: status, error: status === 200 ? null : 'HTTP 500', response_body: null };
      await stores.deliveries.settle('w', [status === 200 ? { id: d.id, outcome: 'delivered', attempt } : { id: d.id, outcome: 'failed', attempt, retryAt: null }]);
    }
  };

  it('removes each kind by age and by count in batches, counting what it removed; dead letters stay', async () => {
    const stores = memoryStores();
    await seed(stores);
    const clock = createManualClock(T0);
    const metrics = createMetricsRegistry();
    const { logger, lines } = memoryLogger();
    const retention = retentionModule({
      stores,
      clock,
      logger,
      batchSize: 2,
      policy: { events: { maxAgeMs: 5 * DAY + 1 }, audit: { maxCount: 3 }, heal: { maxAgeMs: 0, maxCount: 0 }, deliveries: { maxAgeMs: 2 * DAY + 1 } },
    });
    retention.metrics!(metrics);
    expect(retention.loops).toEqual([expect.objectContaining({ name: 'retention', runOn: 'leader', intervalMs: 60_000 })]);

    expect(await retention.runOnce()).toEqual({ events: 4, audit: 7, heal: 0, deliveries: 6 });
    expect((await stores.events.query({ limit: 20, order: 'asc' })).map((e) => e.id)).toEqual(['e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
    expect(await stores.audit.query({ limit: 20 })).toHaveLength(3);
    expect(await stores.heal.list({ limit: 20 })).toHaveLength(10);
    // d0 is a dead letter never replayed: kept whatever its age.
    expect((await stores.deliveries.history({ limit: 20 })).deliveries.map((d) => d.id).sort()).toEqual(['d0', 'd7', 'd8', 'd9']);
    expect((await metrics.getSingleMetric('aetherlink_retention_purged_total')!.get()).values.map((v) => [v.labels.kind, v.value])).toEqual([
      ['events', 4],
      ['audit', 7],
      ['deliveries', 6],
    ]);
    expect(lines.find((l) => l.msg === 'retention removed old records')?.fields).toMatchObject({ events: 4, audit: 7, heal: 0, deliveries: 6 });

    // Time passes: the window moves with the injected clock.
    clock.advance(DAY);
    expect(await retention.runOnce()).toEqual({ events: 1, audit: 0, heal: 0, deliveries: 1 });
  });

  it('stops between batches once its signal aborts (leadership lost), and goes on past a store that fails', async () => {
    const stores = memoryStores();
    await seed(stores);
    const controller = new AbortController();
    const calls: PurgeRequest[] = [];
    const purge = stores.events.purge!;
    stores.events.purge = async (request) => {
      calls.push(request);
      const n = await purge(request);
      controller.abort();
      return n;
    };
    stores.audit.purge = async () => Promise.reject(new Error('disk on fire'));
    const { logger, lines } = memoryLogger();
    const retention = retentionModule({ stores, clock: createManualClock(T0), logger, batchSize: 1, policy: { events: { maxCount: 1 }, audit: { maxCount: 1 } } });
    expect(await retention.runOnce(controller.signal)).toMatchObject({ events: 1, audit: 0 });
    // Nothing more after the abort: neither a second events batch nor the other kinds.
    expect(calls).toHaveLength(1);
    expect((await stores.events.query({ limit: 20 })).length).toBe(9);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);

    expect(await retention.runOnce()).toEqual({ events: 8, audit: 0, heal: 0, deliveries: 0 });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.fields.kind)).toEqual(['audit']);
  });

  it('rests after each batch so that deleting takes no more than its share of the time', async () => {
    const stores = memoryStores();
    await seed(stores);
    const clock = createManualClock(T0);
    const purge = stores.events.purge!;
    let calls = 0;
    stores.events.purge = async (request) => {
      calls++;
      await sleep(clock, 10); // each batch takes 10 ms
      return purge(request);
    };
    const retention = retentionModule({ stores, clock, batchSize: 1, share: 0.2, policy: { events: { maxCount: 7 } } });
    const pass = retention.runOnce();
    const waiting = (n: number) => eventually(() => calls === n && clock.pending() === 1, `batch ${n} started`);
    for (let batch = 1; batch <= 3; batch++) {
      await waiting(batch);
      await clock.advanceAsync(10);
      // The batch is done: 40 ms of rest (10 ms deleting is 20 % of 50) before the next one.
      await clock.advanceAsync(39);
      expect(calls).toBe(batch);
      await clock.advanceAsync(1);
    }
    // The fourth call finds nothing left to remove.
    await waiting(4);
    await clock.advanceAsync(10);
    expect((await pass).events).toBe(3);
  });

  it('rests no longer than maxRestMs after a slow batch, so a backlog shrinks however long batches wait', async () => {
    const stores = memoryStores();
    await seed(stores);
    const clock = createManualClock(T0);
    const purge = stores.events.purge!;
    let calls = 0;
    stores.events.purge = async (request) => {
      calls++;
      await sleep(clock, 500); // a batch that waited behind a burst of publishes
      return purge(request);
    };
    const retention = retentionModule({ stores, clock, batchSize: 1, share: 0.1, maxRestMs: 300, policy: { events: { maxCount: 8 } } });
    const pass = retention.runOnce();
    for (let batch = 1; batch <= 2; batch++) {
      await eventually(() => calls === batch && clock.pending() === 1, `batch ${batch} started`);
      await clock.advanceAsync(500);
      // Its share would ask 4 500 ms of rest; the cap allows 300.
      await clock.advanceAsync(299);
      expect(calls).toBe(batch);
      await clock.advanceAsync(1);
    }
    await eventually(() => calls === 3 && clock.pending() === 1, 'the last call started');
    await clock.advanceAsync(500);
    expect((await pass).events).toBe(2);
  });

  it('does not rest after a batch during which its signal aborted: the pass ends at once', async () => {
    const stores = memoryStores();
    await seed(stores);
    const clock = createManualClock(T0);
    const controller = new AbortController();
    const purge = stores.events.purge!;
    let calls = 0;
    stores.events.purge = async (request) => {
      calls++;
      await sleep(clock, 10);
      controller.abort(); // leadership lost while the batch was being removed
      return purge(request);
    };
    const retention = retentionModule({ stores, clock, batchSize: 1, share: 0.1, policy: { events: { maxCount: 5 } } });
    let ended = false;
    const pass = retention.runOnce(controller.signal).finally(() => (ended = true));
    await eventually(() => calls === 1 && clock.pending() === 1, 'the first batch started');
    await clock.advanceAsync(10);
    // 90 ms of rest would follow a 10 ms batch at a share of 0.1; an aborted pass owes none of it.
    await eventually(() => ended, 'the pass ended without the clock moving on');
    expect((await pass).events).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('says once, at start, which stores cannot purge', () => {
    const stores = memoryStores();
    delete (stores.heal as { purge?: unknown }).purge;
    const { logger, lines } = memoryLogger();
    retentionModule({ stores, logger });
    expect(lines.map((l) => [l.level, l.fields.kinds])).toEqual([['warn', ['heal']]]);
  });
});
