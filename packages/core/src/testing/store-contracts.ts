import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../audit/audit-log.js';
import type { AuditStore, HealHistoryStore, HealRecord, HealTally, Stores } from '../stores/types.js';
import { describeDocumentStoreContract } from './document-store-contract.js';
import { describeDeliveryStoreContract } from './delivery-store-contract.js';
import { describeEventStoreContract, type StoreFactory } from './event-store-contract.js';
import { errorCode, withStore } from './helpers.js';
import { describeRegistryStoreContract } from './registry-store-contract.js';
import { describeRetentionContract } from './retention-contract.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (offsetMs = 0) => new Date(T0 + offsetMs).toISOString();

// ---------------------------------------------------------------- audit

/**
 * An audit record for store tests.
 * @example makeAuditRecord({ status: 403 })
 */
export function makeAuditRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return { ts: iso(), service: 'svc', method: 'GET', path: '/ops/health', roles: ['operator'], status: 200, client_ip: '127.0.0.1', duration_ms: 1.25, ...overrides };
}

/**
 * The AuditStore contract.
 * @example describeAuditStoreContract('memory', () => ({ store: memoryAuditStore() }))
 */
export function describeAuditStoreContract(name: string, factory: StoreFactory<AuditStore>): void {
  describe(`AuditStore contract: ${name}`, () => {
    const s = withStore(factory);

    it('returns records newest first, round-tripping every field', async () => {
      const a = makeAuditRecord({ ts: iso(0), principal: 'u-1', trace_id: '0af7651916cd43dd8448eb211c80319c', meta: { note: 'x', nested: { n: 1 } } });
      const b = makeAuditRecord({ ts: iso(1000), path: '/events/recent', roles: [], status: 401 });
      await s.get().append([a, b]);
      const rows = await s.get().query({ limit: 10 });
      expect(rows.map(({ seq: _s, ...r }) => r)).toEqual([b, a]);
      expect(rows[0]!.seq).toBeGreaterThan(rows[1]!.seq);
    });

    it('pages with before and filters by path, status and since', async () => {
      await s.get().append([
        makeAuditRecord({ ts: iso(0), path: '/a', status: 200 }),
        makeAuditRecord({ ts: iso(1000), path: '/b', status: 403 }),
        makeAuditRecord({ ts: iso(2000), path: '/a', status: 401 }),
        makeAuditRecord({ ts: iso(3000), path: '/a', status: 200 }),
      ]);
      const first = await s.get().query({ limit: 2 });
      const next = await s.get().query({ limit: 2, before: first[1]!.seq });
      expect([...first, ...next].map((r) => r.ts)).toEqual([iso(3000), iso(2000), iso(1000), iso(0)]);
      expect((await s.get().query({ limit: 10, path: '/a' })).length).toBe(3);
      expect((await s.get().query({ limit: 10, status: 403 })).map((r) => r.path)).toEqual(['/b']);
      expect((await s.get().query({ limit: 10, since: iso(2000) })).length).toBe(2);
      expect(await s.get().query({ limit: 10, methods: ['DELETE'] })).toEqual([]);
      expect(await errorCode(s.get().query({ limit: 10, since: 'last tuesday' }))).toBe('validation_failed');
    });

    it('filters by methods and by route templates, so the writes stand out among the reads', async () => {
      await s.get().append([
        makeAuditRecord({ ts: iso(0), method: 'POST', path: '/alerts/deliveries/replay-bulk' }),
        makeAuditRecord({ ts: iso(1000) }),
        makeAuditRecord({ ts: iso(2000), method: 'PUT', path: '/ops/services/{name}/maintenance' }),
        makeAuditRecord({ ts: iso(3000) }),
      ]);
      const writes = await s.get().query({ limit: 10, methods: ['POST', 'PUT', 'PATCH', 'DELETE'] });
      expect(writes.map((r) => [r.method, r.path])).toEqual([
        ['PUT', '/ops/services/{name}/maintenance'],
        ['POST', '/alerts/deliveries/replay-bulk'],
      ]);
      expect((await s.get().query({ limit: 1, methods: ['POST', 'PUT'], before: writes[0]!.seq })).map((r) => r.method)).toEqual(['POST']);
      expect((await s.get().query({ limit: 10, paths: ['/alerts/deliveries/replay-bulk', '/nowhere'] })).map((r) => r.method)).toEqual(['POST']);
      expect(await s.get().query({ limit: 10, paths: [] })).toEqual([]);
    });

    it('counts like /audit/stats, across appends', async () => {
      await s.get().append([makeAuditRecord({ status: 200 }), makeAuditRecord({ status: 401, path: '/x' })]);
      await s.get().append([makeAuditRecord({ status: 403, path: '/x' }), makeAuditRecord({ status: 200 })]);
      await s.get().append([]);
      expect(await s.get().stats()).toEqual({
        total_requests: 4,
        denied_401_unauthorized: 1,
        denied_403_forbidden: 1,
        by_path: { '/ops/health': 2, '/x': 2 },
        by_status: { '200': 2, '401': 1, '403': 1 },
      });
    });
  });
}

// ---------------------------------------------------------------- heal history

/**
 * A heal record for store tests.
 * @example makeHealRecord({ outcome: 'failed' })
 */
export function makeHealRecord(overrides: Partial<HealRecord> = {}): HealRecord {
  return {
    id: `h-${Math.random().toString(36).slice(2, 10)}`,
    ts: iso(5000),
    service: 'api',
    action: 'restart',
    outcome: 'succeeded',
    reason: 'threshold_reached',
    message: 'liveness failed 3 times in a row; restarted and verified',
    probe: { check: 'http', status_code: 500, latency_ms: 3.25, error: 'HTTP 500, expected 200–299' },
    attempt: 1,
    delay_ms: 0,
    detected_at: iso(0),
    started_at: iso(2000),
    duration_ms: 1200,
    error: null,
    ...overrides,
  };
}

const byKey = (a: HealTally, b: HealTally) => a.service.localeCompare(b.service) || a.outcome.localeCompare(b.outcome);

/**
 * The HealHistoryStore contract.
 * @example describeHealHistoryStoreContract('memory', () => ({ store: memoryHealHistoryStore() }))
 */
export function describeHealHistoryStoreContract(name: string, factory: StoreFactory<HealHistoryStore>): void {
  describe(`HealHistoryStore contract: ${name}`, () => {
    const s = withStore(factory);

    it('lists newest first with a limit and service and outcome filters, round-tripping every field, and counts', async () => {
      const recs = [
        makeHealRecord({ ts: iso(0), service: 'api' }),
        makeHealRecord({
          ts: iso(1000),
          service: 'db',
          outcome: 'failed',
          probe: null,
          duration_ms: null,
          attempt: null,
          delay_ms: 20_000.5,
          detected_at: null,
          started_at: null,
          error: 'checks did not pass within 60 s of the restart: connection refused',
        }),
        makeHealRecord({ ts: iso(2000), service: 'api', outcome: 'skipped', reason: 'maintenance', message: 'maintenance window: upgrading ü 🚀', probe: { check: 'custom-db', status_code: null, latency_ms: null, error: null } }),
      ];
      for (const r of recs) await s.get().append(r);
      expect(await s.get().list({ limit: 10 })).toEqual([recs[2], recs[1], recs[0]]);
      expect(await s.get().list({ limit: 1 })).toEqual([recs[2]]);
      expect(await s.get().list({ limit: 10, service: 'api' })).toEqual([recs[2], recs[0]]);
      expect(await s.get().list({ limit: 10, outcome: 'succeeded' })).toEqual([recs[0]]);
      expect(await s.get().list({ limit: 10, service: 'db', outcome: 'skipped' })).toEqual([]);
      expect(await s.get().count()).toBe(3);
    });

    it('tallies records per service and outcome; what they mean is left to the caller', async () => {
      expect(await s.get().tally()).toEqual([]);
      for (const [service, outcome] of [['api', 'succeeded'], ['api', 'failed'], ['api', 'succeeded'], ['db', 'succeeded'], ['db', 'skipped'], ['db', 'skipped']] as const) {
        await s.get().append(makeHealRecord({ service, outcome }));
      }
      expect((await s.get().tally()).sort(byKey)).toEqual([
        { service: 'api', outcome: 'failed', count: 1 },
        { service: 'api', outcome: 'succeeded', count: 2 },
        { service: 'db', outcome: 'skipped', count: 2 },
        { service: 'db', outcome: 'succeeded', count: 1 },
      ]);
      expect(await s.get().count()).toBe(6);
    });
  });
}

// ---------------------------------------------------------------- all together

/**
 * Every store contract against one backend's `Stores` bundle (a fresh bundle per test, and its `peer` when given).
 * @example describeStoresContract('sqlite', async () => { const stores = sqliteStores({ path }); return { store: stores, cleanup: () => stores.close() } })
 */
export function describeStoresContract(name: string, factory: StoreFactory<Stores>): void {
  const part = <K extends keyof Stores>(key: K): StoreFactory<Stores[K]> => async () => {
    const made = await factory();
    return { store: made.store[key], cleanup: made.cleanup ?? (() => made.store.close()), ...(made.peer ? { peer: made.peer[key] } : {}) };
  };
  describeEventStoreContract(name, part('events'));
  describeAuditStoreContract(name, part('audit'));
  describeRegistryStoreContract(name, part('registry'));
  describeDocumentStoreContract(name, part('documents'));
  describeDeliveryStoreContract(name, part('deliveries'));
  describeHealHistoryStoreContract(name, part('heal'));
  describeRetentionContract(name, async () => {
    const made = await factory();
    return { store: made.store, cleanup: made.cleanup ?? (() => made.store.close()) };
  });
}
