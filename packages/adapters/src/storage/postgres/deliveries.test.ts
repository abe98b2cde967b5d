import { makeDeliveryInput } from '@aetherlink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStores, type PostgresStores } from './stores.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../../../../../test/postgres.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

let opened: PostgresStores[] = [];
let schema = '';
afterEach(async () => {
  await Promise.all(opened.map((s) => s.close()));
  opened = [];
  await dropSchema(schema);
});

const openTwo = async () => {
  schema = uniqueSchema('queue');
  const a = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, instanceId: 'qa', poolSize: 6 });
  const b = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, instanceId: 'qb', poolSize: 6 });
  opened.push(a, b);
  return [a, b] as const;
};

describe('postgres delivery queue shared by two instances', () => {
  it('never hands one delivery to two lessees, over many rounds and items', async () => {
    const [a, b] = await openTwo();
    const total = 400;
    for (let i = 0; i < total; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => (j % 2 ? a : b).deliveries.enqueue(makeDeliveryInput({ payload: { n: i + j } }), T0 - (i + j))));
    }

    const leasedBy = new Map<string, string>();
    const duplicates: string[] = [];
    // Each round, six workers (three per instance) lease at once, then finish what they got.
    for (let round = 0; round < 100 && leasedBy.size < total; round++) {
      const workers = Array.from({ length: 6 }, (_, w) => ({ owner: `w${w}-r${round}`, stores: w % 2 ? a : b }));
      const batches = await Promise.all(workers.map((w) => w.stores.deliveries.lease({ owner: w.owner, now: T0 + round, leaseMs: 600_000, limit: 9 })));
      await Promise.all(
        batches.map((batch, w) =>
          Promise.all(
            batch.map(async (d) => {
              if (leasedBy.has(d.id)) duplicates.push(d.id);
              leasedBy.set(d.id, workers[w]!.owner);
              expect(d.lease_owner).toBe(workers[w]!.owner);
              const at = new Date(T0 + round).toISOString();
              const attempt = { attempt: 1, at, duration_ms: 1, status_code: 200, error: null, response_body: null };
              expect(await workers[w]!.stores.deliveries.settle(workers[w]!.owner, [{ id: d.id, outcome: 'delivered', attempt }])).toEqual([true]);
            }),
          ),
        ),
      );
    }
    expect(duplicates).toEqual([]);
    expect(leasedBy.size).toBe(total);
    expect(await a.deliveries.lease({ owner: 'late', now: T0 + 10_000_000, leaseMs: 1000, limit: 10 })).toEqual([]);
    expect((await b.deliveries.stats(T0)).by_status).toMatchObject({ delivered: total, delivering: 0, pending: 0 });
  });

  it('lets only the lease holder finish, from whichever instance it asks', async () => {
    const [a, b] = await openTwo();
    const d = await a.deliveries.enqueue(makeDeliveryInput(), T0);
    const [leased] = await b.deliveries.lease({ owner: 'qb-worker', now: T0, leaseMs: 30_000, limit: 1 });
    expect(leased!.id).toBe(d.id);
    const attempt = { attempt: 1, at: new Date(T0 + 5).toISOString(), duration_ms: 3, status_code: 500, error: 'HTTP 500', response_body: 'try later' };
    const failed = { id: d.id, outcome: 'failed' as const, attempt, retryAt: T0 + 1000 };
    expect(await a.deliveries.settle('qa-worker', [failed])).toEqual([false]);
    expect(await a.deliveries.settle('qb-worker', [failed])).toEqual([true]);
    expect(await a.deliveries.get(d.id)).toMatchObject({ status: 'retrying', attempts: 1, attempt_log: [attempt] });
  });

  it('replays in one transaction: all copies or none', async () => {
    const [a] = await openTwo();
    const d = await a.deliveries.enqueue(makeDeliveryInput({ webhook_id: 'msg_x' }), T0);
    const { replayed, missing } = await a.deliveries.replay([d.id, 'ghost', d.id], T0 + 1000);
    expect(missing).toEqual(['ghost']);
    expect(replayed).toHaveLength(2);
    expect(new Set(replayed.map((r) => r.id)).size).toBe(2);
    expect(replayed.every((r) => r.webhook_id === 'msg_x' && r.replay_of === d.id)).toBe(true);
    expect((await a.deliveries.stats(T0 + 1000)).total).toBe(3);
  });
});
