import { describe, expect, it } from 'vitest';
import type { RegistryStore, ServiceInput, ServicePatch } from '../stores/types.js';
import type { StoreFactory } from './event-store-contract.js';
import { withStore } from './helpers.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (offsetMs = 0) => new Date(T0 + offsetMs).toISOString();

/**
 * A registered service for store tests (the store assigns its revision).
 * @example makeService({ name: 'billing', tags: ['pay'] })
 */
export function makeService(overrides: Partial<ServiceInput> = {}): ServiceInput {
  const name = overrides.name ?? 'svc';
  return {
    name,
    url: `http://${name}:8080`,
    health_url: `http://${name}:8080/ping`,
    version: '1.0.0',
    roles_required: ['operator'],
    tags: ['core'],
    meta: { team: 'ops' },
    ttl_seconds: 90,
    check: null,
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
 * The RegistryStore contract, conditional writes included.
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
      const { record: stored } = await s.get().upsert(record);
      expect(await s.get().get('full')).toEqual({ ...record, revision: stored.revision });
      const settings = makeService({ name: 'settings', ttl_seconds: 30, check: { status: '200-399', body_path: 'a.b[0]', body_ok: ['ok', 1, true, null], timeout_ms: 500 } });
      const { record: again } = await s.get().upsert(settings);
      expect(await s.get().get('settings')).toEqual({ ...settings, revision: again.revision });
      expect(again).toEqual({ ...settings, revision: again.revision });
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

    it('patches some fields and never the name, registered_at or revision', async () => {
      await s.get().upsert(makeService({ name: 'api', registered_at: iso(0) }));
      const patched = await s.get().patch('api', { status: 'ok', status_since: iso(7), last_check: { checked_at: iso(7), latency_ms: 3, error: null } });
      expect(patched).toMatchObject({ name: 'api', status: 'ok', status_since: iso(7), registered_at: iso(0), last_check: { latency_ms: 3 } });
      expect(await s.get().get('api')).toEqual(patched);
      expect(await s.get().patch('ghost', { status: 'ok' })).toBeNull();
      const sneaky = { ttl_seconds: 45, check: { status: '204' }, revision: 1e9, name: 'other', registered_at: iso(99) } as ServicePatch;
      const settings = await s.get().patch('api', sneaky);
      expect(settings).toMatchObject({ name: 'api', registered_at: iso(0), ttl_seconds: 45, check: { status: '204' } });
      expect(settings!.revision).toBeGreaterThan(patched!.revision);
      expect(settings!.revision).toBeLessThan(1e9);
      expect(await s.get().patch('api', { check: null, ttl_seconds: null })).toMatchObject({ check: null, ttl_seconds: null });
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

    it('gives every write a revision greater than any the name had, even across a removal', async () => {
      const r1 = (await s.get().upsert(makeService({ name: 'api' }))).record.revision;
      const r2 = (await s.get().patch('api', { status: 'ok' }))!.revision;
      const r3 = (await s.get().upsert(makeService({ name: 'api' }))).record.revision;
      expect(await s.get().remove('api')).toBe(true);
      const back = await s.get().upsert(makeService({ name: 'api' }));
      expect(back.created).toBe(true);
      expect([r1, r2, r3, back.record.revision]).toEqual([...new Set([r1, r2, r3, back.record.revision])].sort((a, b) => a - b));
      expect((await s.get().get('api'))!.revision).toBe(back.record.revision);
      // Other records' writes do not change this one's revision.
      await s.get().upsert(makeService({ name: 'other' }));
      await s.get().patch('other', { status: 'ok' });
      expect((await s.get().get('api'))!.revision).toBe(back.record.revision);
    });

    it('refuses a conditional patch or remove once the revision moved on, changing nothing', async () => {
      const { record: first } = await s.get().upsert(makeService({ name: 'api' }));
      const second = await s.get().patch('api', { status: 'ok', status_since: iso(1) }, { ifRevision: first.revision });
      expect(second).toMatchObject({ status: 'ok', status_since: iso(1) });
      const version = await s.get().version();

      // A writer that read `first` lost: the record and the version stay as they are.
      expect(await s.get().patch('api', { status: 'down', status_since: iso(2) }, { ifRevision: first.revision })).toBeNull();
      expect(await s.get().remove('api', { ifRevision: first.revision })).toBe(false);
      expect(await s.get().get('api')).toEqual(second);
      expect(await s.get().version()).toBe(version);

      // Missing and changed both answer null / false; a fresh read tells them apart.
      expect(await s.get().patch('ghost', { status: 'ok' }, { ifRevision: first.revision })).toBeNull();
      expect(await s.get().remove('ghost', { ifRevision: first.revision })).toBe(false);
      expect(await s.get().get('ghost')).toBeNull();

      expect(await s.get().remove('api', { ifRevision: second!.revision })).toBe(true);
      expect(await s.get().get('api')).toBeNull();
    });

    it('lets exactly one of many racing conditional writes win', async () => {
      const { record } = await s.get().upsert(makeService({ name: 'api' }));
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => s.get().patch('api', { status_since: iso(i + 1), status: 'ok' }, { ifRevision: record.revision })),
      );
      const winners = results.filter((r) => r !== null);
      expect(winners).toHaveLength(1);
      expect(await s.get().get('api')).toEqual(winners[0]);

      const current = winners[0]!.revision;
      const [removed, patched] = await Promise.all([
        s.get().remove('api', { ifRevision: current }),
        s.get().patch('api', { status: 'degraded' }, { ifRevision: current }),
      ]);
      expect([removed, patched !== null].filter(Boolean)).toHaveLength(1);
      expect((await s.get().get('api')) === null).toBe(removed);
    });

    it('gives racing unconditional writes distinct revisions and keeps the last one written', async () => {
      await s.get().upsert(makeService({ name: 'api' }));
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.get().patch('api', { last_seen: iso(i * 1000) })));
      const revisions = results.map((r) => r!.revision);
      expect(new Set(revisions).size).toBe(20);
      const last = results.reduce((a, b) => (b!.revision > a!.revision ? b : a))!;
      expect(await s.get().get('api')).toEqual(last);
    });
  });
}
