import { describe, expect, it } from 'vitest';
import type { PurgeRequest, Stores } from '../stores/types.js';
import { makeDeliveryInput } from './delivery-store-contract.js';
import { makeEvent, type StoreFactory } from './event-store-contract.js';
import { rejection, withStore } from './helpers.js';
import { makeAuditRecord, makeHealRecord } from './store-contracts.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const DAY = 86_400_000;

/**
 * Retention on every store that keeps history (events, audit, heal history, finished deliveries), and the
 * event stats kept by counters that retention moves: the same records go on every backend.
 * @example describeRetentionContract('memory', () => ({ store: memoryStores() }))
 */
export function describeRetentionContract(name: string, factory: StoreFactory<Stores>): void {
  describe(`retention contract: ${name}`, () => {
    const s = withStore(factory);
    const purge = <K extends 'events' | 'audit' | 'heal'>(kind: K, request: PurgeRequest) => s.get()[kind].purge!(request);

    it('purges the oldest events, at most limit per call, and stats count only what is left', async () => {
      const severities = ['info', 'error', 'info', 'warning', 'info', 'critical', 'info', 'error', 'info', 'info'] as const;
      for (let i = 0; i < 10; i++) {
        await s.get().events.append(makeEvent({ id: `e${i}`, time: iso(i * 1000), severity: severities[i] }), iso(i * 1000));
      }
      const ids = async () => (await s.get().events.query({ limit: 20, order: 'asc' })).map((e) => e.id);
      expect(await purge('events', { keepNewest: 7, limit: 2 })).toBe(2);
      expect(await purge('events', { keepNewest: 7, limit: 100 })).toBe(1);
      expect(await purge('events', { keepNewest: 7, limit: 100 })).toBe(0);
      expect(await ids()).toEqual(['e3', 'e4', 'e5', 'e6', 'e7', 'e8', 'e9']);
      // By age: received before 5 s go; the first one inside the window stops the purge.
      expect(await purge('events', { olderThan: iso(5000), limit: 100 })).toBe(2);
      expect(await ids()).toEqual(['e5', 'e6', 'e7', 'e8', 'e9']);
      expect(await purge('events', { olderThan: iso(5000), keepNewest: 100, limit: 100 })).toBe(0);
      expect(await s.get().events.stats(T0 + 10_000)).toEqual({ total: 5, last_24h: 5, by_severity: { info: 3, warning: 0, error: 1, critical: 1 } });
      // A purged event's key is free again.
      expect((await s.get().events.append(makeEvent({ id: 'e0', time: iso(0) }), iso(11_000))).inserted).toBe(true);
    });

    it('counts the last 24 hours to the millisecond, across minute edges and after a purge', async () => {
      const now = T0 + 30_500; // mid-minute, so the window's first minute is a partial one
      const times = [now - DAY - 1, now - DAY, now - DAY + 59_000, now - DAY + 61_000, now - 3_600_000, now, now + 60_000, now - 40 * DAY];
      for (const [i, t] of times.entries()) await s.get().events.append(makeEvent({ id: `t${i}`, time: new Date(t).toISOString() }), iso(i));
      expect((await s.get().events.stats(now)).last_24h).toBe(6);
      expect((await s.get().events.stats(now + 1)).last_24h).toBe(5);
      expect(await purge('events', { keepNewest: 6, limit: 10 })).toBe(2);
      expect(await s.get().events.stats(now)).toMatchObject({ total: 6, last_24h: 5 });
    });

    it('purges the oldest audit records and heal records, keeping their counts', async () => {
      await s.get().audit.append(Array.from({ length: 6 }, (_, i) => makeAuditRecord({ ts: iso(i * 1000), status: i % 2 ? 401 : 200 })));
      const auditStats = await s.get().audit.stats();
      expect(await purge('audit', { keepNewest: 4, limit: 10 })).toBe(2);
      expect(await purge('audit', { olderThan: iso(3000), limit: 10 })).toBe(1);
      expect((await s.get().audit.query({ limit: 10 })).map((r) => r.ts)).toEqual([iso(5000), iso(4000), iso(3000)]);
      expect(await s.get().audit.stats()).toEqual(auditStats);

      for (let i = 0; i < 5; i++) await s.get().heal.append(makeHealRecord({ id: `h${i}`, ts: iso(i * 1000), outcome: i === 2 ? 'failed' : 'succeeded' }));
      const tally = async () => (await s.get().heal.tally()).sort((a, b) => `${a.service}${a.outcome}`.localeCompare(`${b.service}${b.outcome}`));
      const healTally = await tally();
      expect(await purge('heal', { keepNewest: 2, limit: 2 })).toBe(2);
      expect(await purge('heal', { olderThan: iso(10_000), keepNewest: 2, limit: 1 })).toBe(1);
      expect((await s.get().heal.list({ limit: 10 })).map((r) => r.id)).toEqual(['h4', 'h3']);
      expect(await s.get().heal.count()).toBe(5);
      expect(await tally()).toEqual(healTally);
    });

    it('purges finished deliveries (delivered, cancelled) and replayed dead letters; a dead letter never replayed waits for purgeDeadLetters', async () => {
      const q = s.get().deliveries;
      const make = async (id: string, ms: number, outcome: 'delivered' | 'dead' | 'pending') => {
        await q.enqueue(makeDeliveryInput({ id, max_attempts: 1 }), T0 + ms);
        if (outcome === 'pending') return;
        const [leased] = await q.lease({ owner: 'w', now: T0 + ms, leaseMs: 1000, limit: 1 });
        const attempt = { attempt: 1, at: iso(ms), duration_ms: 5, status_code: outcome === 'dead' ? 500 : 200, error: outcome === 'dead' ? 'HTTP 500' : null, response_body: null };
        const settled = await q.settle('w', [
          outcome === 'delivered' ? { id: leased!.id, outcome: 'delivered', attempt } : { id: leased!.id, outcome: 'failed', attempt, retryAt: null },
        ]);
        expect(settled).toEqual([true]);
      };
      await make('d1', 0, 'delivered');
      await make('d2', 1000, 'dead');
      await make('d3', 2000, 'dead');
      await make('d5', 4000, 'delivered');
      await make('d4', 3000, 'pending'); // last, so the leases above never take it
      await make('d6', 500, 'pending');
      expect(await q.cancel({ ids: ['d6'], reason: 'endpoint removed', now: T0 + 600 })).toBe(1);
      const [copy] = (await q.replay(['d3'], T0 + 5000)).replayed;
      await q.lease({ owner: 'w', now: T0 + 6000, leaseMs: 60_000, limit: 10 });

      expect(await q.purgeFinished!({ olderThan: iso(4000), limit: 10 })).toBe(3);
      expect(await q.get('d1')).toBeNull();
      expect(await q.get('d6')).toBeNull();
      expect(await q.get('d3')).toBeNull();
      expect((await q.get('d2'))?.status).toBe('dead_letter');
      expect(await q.purgeFinished!({ keepNewest: 1, limit: 10 })).toBe(0);
      expect(await q.purgeFinished!({ keepNewest: 0, limit: 10 })).toBe(1);
      expect((await q.history({ limit: 10 })).deliveries.map((d) => d.id).sort()).toEqual(['d2', 'd4', copy!.id].sort());

      expect(await q.purgeDeadLetters!({ ids: ['d4', copy!.id], limit: 10 })).toBe(0);
      expect(await q.purgeDeadLetters!({ olderThan: iso(1000), limit: 10 })).toBe(0);
      expect(await q.purgeDeadLetters!({ ids: ['d2'], limit: 10 })).toBe(1);
      expect(await q.get('d2')).toBeNull();
      expect((await q.stats(T0 + 7000)).total).toBe(2);
    });

    it('refuses a bad purge request, naming the field', async () => {
      const field = async (promise: Promise<unknown>) => (await rejection(promise)).errors?.map((e) => e.field);
      expect(await field(purge('events', { limit: 0 }))).toEqual(['limit']);
      expect(await field(purge('audit', { limit: 5, olderThan: 'last week' }))).toEqual(['olderThan']);
      expect(await field(purge('heal', { limit: 5, keepNewest: -1 }))).toEqual(['keepNewest']);
      expect(await field(s.get().deliveries.purgeFinished!({ limit: 1.5 }))).toEqual(['limit']);
    });
  });
}
