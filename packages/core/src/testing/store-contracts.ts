import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../audit/audit-log.js';
import type { AuditStore, HealHistoryStore, HealRecord, RegistryStore, ServiceRecord, Stores } from '../stores/types.js';
import { describeDocumentStoreContract } from './document-store-contract.js';
import { describeDeliveryStoreContract } from './delivery-store-contract.js';
import { describeEventStoreContract, type StoreFactory } from './event-store-contract.js';
import { errorCode, withStore } from './helpers.js';

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
      const a = makeAuditRecord({ ts: iso(0), principal: 'u-1', meta: { note: 'x', nested: { n: 1 } } });
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
      expect(await errorCode(s.get().query({ limit: 10, since: 'last tuesday' }))).toBe('validation_failed');
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

// ---------------------------------------------------------------- registry

/**
 * A registered service for store tests.
 * @example makeService({ name: 'billing', tags: ['pay'] })
 */
export function makeService(overrides: Partial<ServiceRecord> = {}): ServiceRecord {
  const name = overrides.name ?? 'svc';
  return {
    name,
    url: `http://${name}:8080`,
    health_url: `http://${name}:8080/ping`,
    version: '1.0.0',
    roles_required: ['operator'],
    tags: ['core'],
    meta: { team: 'ops' },
    status: 'down',
    status_since: iso(),
    registered_at: iso(),
    last_seen: iso(),
    lease_expires_at: iso(90_000),
    last_check: null,
    ...overrides,
  };
}

/**
 * The RegistryStore contract.
 * @example describeRegistryStoreContract('memory', () => ({ store: memoryRegistryStore() }))
 */
export function describeRegistryStoreContract(name: string, factory: StoreFactory<RegistryStore>): void {
  describe(`RegistryStore contract: ${name}`, () => {
    const s = withStore(factory);

    it('upserts by name, keeping registered_at and replacing the rest', async () => {
      const first = await s.get().upsert(makeService({ name: 'api', registered_at: iso(0) }));
      expect(first.created).toBe(true);
      const again = await s.get().upsert(makeService({ name: 'api', url: 'http://api:9090', tags: ['x', 'y'], registered_at: iso(5000), version: null }));
      expect(again.created).toBe(false);
      expect(again.record).toMatchObject({ url: 'http://api:9090', tags: ['x', 'y'], registered_at: iso(0), version: null });
      expect(await s.get().get('api')).toEqual(again.record);
      expect(await s.get().get('nope')).toBeNull();
    });

    it('round-trips every field', async () => {
      const record = makeService({ name: 'full', meta: { a: '1', 'b.c': 'ü' }, last_check: { checked_at: iso(1), latency_ms: 12.5, error: null }, lease_expires_at: null });
      await s.get().upsert(record);
      expect(await s.get().get('full')).toEqual(record);
    });

    it('lists sorted by name, filtered by tag and status', async () => {
      await s.get().upsert(makeService({ name: 'c', tags: ['edge'], status: 'ok' }));
      await s.get().upsert(makeService({ name: 'a', tags: ['core', 'edge'], status: 'down' }));
      await s.get().upsert(makeService({ name: 'b', tags: ['core'], status: 'ok' }));
      expect((await s.get().list()).map((r) => r.name)).toEqual(['a', 'b', 'c']);
      expect((await s.get().list({ tag: 'edge' })).map((r) => r.name)).toEqual(['a', 'c']);
      expect((await s.get().list({ status: 'ok' })).map((r) => r.name)).toEqual(['b', 'c']);
      expect((await s.get().list({ tag: 'core', status: 'ok' })).map((r) => r.name)).toEqual(['b']);
      expect(await s.get().list({ tag: 'edg' })).toEqual([]);
    });

    it('patches some fields and never the name or registered_at', async () => {
      await s.get().upsert(makeService({ name: 'api', registered_at: iso(0) }));
      const patched = await s.get().patch('api', { status: 'ok', status_since: iso(7), last_check: { checked_at: iso(7), latency_ms: 3, error: null } });
      expect(patched).toMatchObject({ name: 'api', status: 'ok', status_since: iso(7), registered_at: iso(0), last_check: { latency_ms: 3 } });
      expect(await s.get().get('api')).toEqual(patched);
      expect(await s.get().patch('ghost', { status: 'ok' })).toBeNull();
    });

    it('reads an undefined member of a patch as "no change"', async () => {
      await s.get().upsert(makeService({ name: 'api', version: '1.0.0', tags: ['a'] }));
      const patched = await s.get().patch('api', { version: undefined, tags: undefined, status: 'degraded' });
      expect(patched).toMatchObject({ version: '1.0.0', tags: ['a'], status: 'degraded' });
      expect((await s.get().list({ tag: 'a' })).map((r) => r.name)).toEqual(['api']);
    });

    it('removes, and moves the version on every change but not on reads', async () => {
      const v0 = await s.get().version();
      await s.get().upsert(makeService({ name: 'api' }));
      const v1 = await s.get().version();
      await s.get().list();
      await s.get().get('api');
      expect(await s.get().version()).toBe(v1);
      await s.get().patch('api', { status: 'ok' });
      const v2 = await s.get().version();
      expect(await s.get().remove('api')).toBe(true);
      expect(await s.get().remove('api')).toBe(false);
      const v3 = await s.get().version();
      expect(v1).toBeGreaterThan(v0);
      expect(v2).toBeGreaterThan(v1);
      expect(v3).toBeGreaterThan(v2);
      expect(await s.get().get('api')).toBeNull();
    });

    it('keeps one entry when the same name is upserted concurrently', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.get().upsert(makeService({ name: 'race', url: `http://race:${8000 + i}` }))));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await s.get().list()).toHaveLength(1);
    });
  });
}

// ---------------------------------------------------------------- heal history

/**
 * A heal record for store tests.
 * @example makeHealRecord({ outcome: 'failed' })
 */
export function makeHealRecord(overrides: Partial<HealRecord> = {}): HealRecord {
  return { id: `h-${Math.random().toString(36).slice(2, 10)}`, ts: iso(), service: 'api', action: 'restart', outcome: 'succeeded', message: 'restarted', duration_ms: 1200, attempt: 1, ...overrides };
}

/**
 * The HealHistoryStore contract.
 * @example describeHealHistoryStoreContract('memory', () => ({ store: memoryHealHistoryStore() }))
 */
export function describeHealHistoryStoreContract(name: string, factory: StoreFactory<HealHistoryStore>): void {
  describe(`HealHistoryStore contract: ${name}`, () => {
    const s = withStore(factory);

    it('lists newest first with a limit and a service filter, and counts', async () => {
      const recs = [
        makeHealRecord({ ts: iso(0), service: 'api' }),
        makeHealRecord({ ts: iso(1000), service: 'db', outcome: 'failed', duration_ms: null, attempt: null }),
        makeHealRecord({ ts: iso(2000), service: 'api', outcome: 'skipped', action: 'restart', message: 'maintenance window' }),
      ];
      for (const r of recs) await s.get().append(r);
      expect(await s.get().list({ limit: 10 })).toEqual([recs[2], recs[1], recs[0]]);
      expect(await s.get().list({ limit: 1 })).toEqual([recs[2]]);
      expect(await s.get().list({ limit: 10, service: 'api' })).toEqual([recs[2], recs[0]]);
      expect(await s.get().count()).toBe(3);
    });

    it('computes the seed stats: skips are not attempts', async () => {
      expect(await s.get().stats()).toEqual({ total_attempts: 0, successful: 0, failed: 0, success_rate: 0, services: {}, most_healed: null });
      for (const [service, outcome] of [['api', 'succeeded'], ['api', 'failed'], ['api', 'succeeded'], ['db', 'succeeded'], ['db', 'skipped'], ['db', 'skipped']] as const) {
        await s.get().append(makeHealRecord({ service, outcome }));
      }
      expect(await s.get().stats()).toEqual({ total_attempts: 4, successful: 3, failed: 1, success_rate: 0.75, services: { api: 3, db: 1 }, most_healed: 'api' });
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
}
