import { createEventBus, createManualClock, type StoredEvent } from '@aetherlink/core';
import { sqliteStores, type SqliteStores } from '@aetherlink/adapters/sqlite';
import { eventually } from '@aetherlink/core/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startControlPlane } from './_testing/control-plane.js';
import { createRegistry } from './registry.js';
import { registerSelf } from './self-register.js';

let dir: string;
let path: string;
const open: SqliteStores[] = [];
const openStores = () => {
  const stores = sqliteStores({ path });
  open.push(stores);
  return stores;
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aetherlink-registry-'));
  path = join(dir, 'aetherlink.db');
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('registry on SQLite', () => {
  it('survives a restart: services, statuses, leases, checks and the change feed', async () => {
    const clock = createManualClock();
    const before = openStores();
    const r1 = createRegistry({ store: before.registry, clock, criticalForMs: 60_000 });
    await r1.register({ name: 'leased', url: 'http://leased:8080', ttl_seconds: 30, check: { status: '200-399', body_path: 'status' }, meta: { team: 'ops' } });
    await r1.register({ name: 'legacy', url: 'http://legacy:8080', tags: ['seed'] });
    await r1.recordCheck('legacy', { health_url: 'http://legacy:8080/ping', status: 'ok', error: null, latency_ms: 4, checked_at: new Date(clock.now()).toISOString() });
    const versionBefore = await r1.version();
    const listed = await r1.list();
    await before.close();

    const after = openStores();
    const events: StoredEvent[] = [];
    const bus = createEventBus({ clock });
    bus.subscribe({}, (e) => events.push(e));
    const r2 = createRegistry({ store: after.registry, clock, bus, criticalForMs: 60_000 });
    expect(await r2.list()).toEqual(listed);
    expect(await r2.get('leased')).toMatchObject({ ttl_seconds: 30, check: { status: '200-399', body_path: 'status' }, meta: { team: 'ops' }, status: 'down' });
    expect(await r2.get('legacy')).toMatchObject({ status: 'ok', tags: ['seed'], last_check: { latency_ms: 4 } });

    // The lease carries on from where it was: renewing uses the stored ttl, expiry still ends it.
    clock.advance(20_000);
    expect((await r2.heartbeat('leased')).lease_expires_at).toBe(new Date(clock.now() + 30_000).toISOString());
    expect(await r2.version()).toBeGreaterThan(versionBefore);
    clock.advance(30_000 + 60_000);
    expect(await r2.expireLeases()).toEqual({ expired: [], deregistered: ['leased'] });
    expect(events.map((e) => e.type)).toEqual(['service.unregistered']);
    expect((await r2.list()).map((s) => s.name)).toEqual(['legacy']);
  });

  it('leaves one entry when upserts of one name race from two connections', async () => {
    // Two registries on two connections to one file, as two instances sharing a database would be.
    const a = createRegistry({ store: openStores().registry });
    const b = createRegistry({ store: openStores().registry });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).register({ name: 'billing', url: `http://billing-${i}:8080` })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await a.list()).toHaveLength(1);
    expect(await b.list()).toEqual(await a.list());
  });

  it('keeps a self-registered client’s lease across a control plane restart, with no re-registration', async () => {
    const first = await startControlPlane({ store: openStores().registry });
    const client = registerSelf({
      controlPlaneUrl: first.url,
      service: { name: 'crm', url: 'http://127.0.0.1:9' },
      auth: { roles: ['operator'] },
      heartbeatIntervalMs: 100,
      retry: { retries: 2, minTimeoutMs: 20, maxTimeoutMs: 50 },
      onEvent: () => undefined,
    });
    try {
      expect(await client.waitUntilRegistered(5000)).toBe(true);
      await first.close();
      await open.splice(0)[0]!.close();
      await eventually(() => client.state() === 'unreachable', 'unreachable', 3000);

      const second = await startControlPlane({ port: first.port, store: openStores().registry });
      try {
        await eventually(() => client.state() === 'registered', 'registered again', 5000);
        await eventually(() => second.requests.includes('PUT /ops/services/:name/heartbeat'), 'a heartbeat', 3000);
        // The SQLite file remembered it, so a heartbeat sufficed.
        expect(second.requests).not.toContain('POST /ops/register');
        expect(await second.registry.get('crm')).toMatchObject({ ttl_seconds: 90 });
      } finally {
        await client.stop();
        await second.close();
      }
    } finally {
      await client.stop();
    }
  });
});
