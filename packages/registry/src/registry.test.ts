import {
  AetherError,
  createEventBus,
  createManualClock,
  isAetherError,
  memoryEventStore,
  memoryRegistryStore,
  type EventBus,
  type ManualClock,
  type RegistryStore,
  type StoredEvent,
} from '@aetherlink/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from './registry.js';
import type { Registry, RegistryChange } from './types.js';

const CRITICAL_FOR = 120_000;

let clock: ManualClock;
let store: RegistryStore;
let bus: EventBus;
let events: StoredEvent[];
let registry: Registry;

beforeEach(() => {
  clock = createManualClock();
  store = memoryRegistryStore();
  bus = createEventBus({ clock, source: 'test-cc' });
  events = [];
  bus.subscribe({}, (e) => events.push(e));
  registry = createRegistry({ store, bus, clock, criticalForMs: CRITICAL_FOR });
});

const iso = (offsetMs = 0) => new Date(Date.parse('2026-01-01T00:00:00.000Z') + offsetMs).toISOString();
const ofType = (type: string) => events.filter((e) => e.type === type);
const passing = (name: string, healthUrl = `http://${name}:8080/ping`) =>
  registry.recordCheck(name, { health_url: healthUrl, status: 'ok', error: null, latency_ms: 2, checked_at: new Date(clock.now()).toISOString() });

describe('register', () => {
  it('stores a new service down until a check passes, and announces it', async () => {
    const { service, created } = await registry.register({ name: 'billing', url: 'http://billing:8080', version: '1.2.0', tags: ['pay'] });
    expect(created).toBe(true);
    expect(service).toMatchObject({
      name: 'billing',
      health_url: 'http://billing:8080/ping',
      status: 'down',
      last_check: null,
      registered_at: iso(),
      last_seen: iso(),
      ttl_seconds: null,
      lease_expires_at: null,
    });
    expect(ofType('service.registered')).toHaveLength(1);
    expect(ofType('service.registered')[0]).toMatchObject({ source: 'test-cc', subject: 'billing' });
    // Every viewer reads events: the name and status, never the service's addresses (those need ops:operate).
    expect(ofType('service.registered')[0]!.data).toEqual({ name: 'billing', status: 'down', version: '1.2.0', tags: ['pay'], created: true });
  });

  it('keeps addresses out of service.registered, whatever the registration carries', async () => {
    await registry.register({ name: 'billing', url: 'http://billing.internal:8080', health_url: 'http://billing.internal:9090/healthz', ttl_seconds: 30, check: { status: '200' } });
    await registry.recordCheck('billing', { health_url: 'http://billing.internal:9090/healthz', status: 'ok', error: null, latency_ms: 1, checked_at: iso() });
    await registry.register({ name: 'billing', url: 'http://billing.internal:8080', health_url: 'http://billing.internal:9090/healthz' });
    const data = ofType('service.registered').map((e) => e.data);
    expect(data).toEqual([
      { name: 'billing', status: 'down', tags: [], created: true },
      { name: 'billing', status: 'ok', tags: [], created: false },
    ]);
    expect(JSON.stringify(data)).not.toContain('billing.internal');
  });

  it('keeps addresses out of service.health.failed too (viewers read it)', async () => {
    await registry.register({ name: 'billing', url: 'http://billing.internal:8080', health_url: 'http://billing.internal:9090/healthz' });
    await registry.recordCheck('billing', { health_url: 'http://billing.internal:9090/healthz', status: 'ok', error: null, latency_ms: 1, checked_at: iso() });
    await registry.recordCheck('billing', { health_url: 'http://billing.internal:9090/healthz', status: 'down', error: 'HTTP 500', latency_ms: 3, checked_at: iso() });
    const failed = ofType('service.health.failed').map((e) => e.data);
    expect(failed).toEqual([{ name: 'billing', status: 'down', error: 'HTTP 500', latency_ms: 3, previous_status: 'ok' }]);
    expect(JSON.stringify(failed)).not.toContain('billing.internal');
  });

  it('upserts by name: keeps registered_at and the checker’s status, moves last_seen', async () => {
    await registry.register({ name: 'billing', url: 'http://billing:8080' });
    await passing('billing');
    clock.advance(5000);
    const { service, created } = await registry.register({ name: 'billing', url: 'http://billing:8080', version: '2.0.0' });
    expect(created).toBe(false);
    expect(service).toMatchObject({ status: 'ok', version: '2.0.0', registered_at: iso(), last_seen: iso(5000) });
    expect(await registry.list()).toHaveLength(1);
    expect(ofType('service.registered').map((e) => (e.data as { created: boolean }).created)).toEqual([true, false]);
  });

  it('starts over at down when the health URL changes', async () => {
    await registry.register({ name: 'billing', url: 'http://billing:8080' });
    await passing('billing');
    const { service } = await registry.register({ name: 'billing', url: 'http://billing:8080', health_url: 'http://billing:8080/healthz' });
    expect(service).toMatchObject({ status: 'down', last_check: null });
  });

  it('rejects bad input naming each field', async () => {
    const error = await registry.register({ name: 'a b', url: 'mailto:x', tags: 'core' }).catch((e: unknown) => e);
    expect(isAetherError(error)).toBe(true);
    expect((error as AetherError).code).toBe('validation_failed');
    expect((error as AetherError).errors!.map((e) => e.field).sort()).toEqual(['name', 'tags', 'url']);
    expect(await registry.list()).toEqual([]);
  });

  it('leaves one entry when many upserts of one name race', async () => {
    const urls = Array.from({ length: 50 }, (_, i) => `http://billing-${i}:8080`);
    const results = await Promise.all(urls.map((url) => registry.register({ name: 'billing', url, ttl_seconds: 30 })));
    const all = await registry.list();
    expect(all).toHaveLength(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    // The last writer wins whole: url and health_url come from the same registration.
    expect(urls).toContain(all[0]!.url);
    expect(all[0]!.health_url).toBe(`${all[0]!.url}/ping`);
    expect(ofType('service.registered')).toHaveLength(50);
  });

  it('leaves one entry when two registries over one store race', async () => {
    const other = createRegistry({ store, clock });
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? registry : other).register({ name: 'billing', url: `http://billing-${i}:8080` })));
    expect(await registry.list()).toHaveLength(1);
    expect(await other.list()).toEqual(await registry.list());
  });

  it('carries on when the event store fails, reporting the error', async () => {
    const failing = memoryEventStore();
    failing.append = () => Promise.reject(new AetherError('unavailable', 'event store down'));
    const errors: unknown[] = [];
    const r = createRegistry({ store, clock, bus: createEventBus({ store: failing, clock }), onError: (e) => errors.push(e) });
    const { service } = await r.register({ name: 'billing', url: 'http://billing:8080' });
    expect(service.name).toBe('billing');
    expect(errors).toHaveLength(1);
    expect(await r.get('billing')).not.toBeNull();
  });
});

describe('list, get, remove', () => {
  it('filters by tag and by the effective status', async () => {
    await registry.register({ name: 'a', url: 'http://a:8080', tags: ['edge'] });
    await registry.register({ name: 'b', url: 'http://b:8080', tags: ['core'], ttl_seconds: 30 });
    await registry.register({ name: 'c', url: 'http://c:8080', tags: ['core'] });
    await passing('b');
    await passing('c');
    expect((await registry.list({ tag: 'core' })).map((s) => s.name)).toEqual(['b', 'c']);
    expect((await registry.list({ status: 'ok' })).map((s) => s.name)).toEqual(['b', 'c']);
    clock.advance(30_000);
    // b's lease ran out; the expiry pass has not run, yet b already shows down.
    expect((await registry.list({ status: 'ok' })).map((s) => s.name)).toEqual(['c']);
    expect((await registry.list({ status: 'down', tag: 'core' })).map((s) => s.name)).toEqual(['b']);
  });

  it('removes by request and announces it; unknown names are false', async () => {
    await registry.register({ name: 'a', url: 'http://a:8080' });
    expect(await registry.remove('a')).toBe(true);
    expect(await registry.remove('a')).toBe(false);
    expect(await registry.get('a')).toBeNull();
    expect(ofType('service.unregistered').map((e) => e.data)).toEqual([{ name: 'a', reason: 'requested' }]);
  });
});

describe('leases', () => {
  it('renews on heartbeat, turns down when it runs out, and deregisters after critical-for', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 90 });
    await passing('api');
    expect((await registry.get('api'))!.lease_expires_at).toBe(iso(90_000));

    clock.advance(60_000);
    const renewed = await registry.heartbeat('api');
    expect(renewed).toMatchObject({ status: 'ok', last_seen: iso(60_000), lease_expires_at: iso(150_000) });
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });

    clock.advance(90_000); // t = 150 s: the lease ran out
    expect((await registry.get('api'))!.status).toBe('down');
    expect(await registry.expireLeases()).toEqual({ expired: ['api'], deregistered: [] });
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    expect(ofType('service.health.failed').map((e) => e.data)).toEqual([
      { name: 'api', status: 'down', error: `lease expired at ${iso(150_000)} (no heartbeat)`, latency_ms: null, previous_status: 'ok' },
    ]);

    // A probe that passes does not revive a lease holder that stopped heartbeating.
    await passing('api');
    expect((await registry.get('api'))!.status).toBe('down');

    clock.advance(CRITICAL_FOR - 1);
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    clock.advance(1);
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: ['api'] });
    expect(await registry.get('api')).toBeNull();
    expect(ofType('service.unregistered').at(-1)!.data).toMatchObject({ name: 'api', reason: 'lease_expired', lease_expired_at: iso(150_000) });
  });

  it('brings a lapsed service back with a heartbeat, down until its next passing check', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    await passing('api');
    clock.advance(31_000);
    await registry.expireLeases();
    const back = await registry.heartbeat('api');
    expect(back).toMatchObject({ status: 'down', lease_expires_at: iso(61_000) });
    clock.advance(20_000);
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    await passing('api');
    expect((await registry.get('api'))!.status).toBe('ok');
  });

  it('decides again on a fresh read, so a heartbeat that lands during the pass keeps the service', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    clock.advance(30_000 + CRITICAL_FOR);
    const list = store.list.bind(store);
    // Another instance renews the lease right after this pass listed the candidates.
    const otherInstance = createRegistry({ store, clock });
    store.list = async (filter) => {
      const rows = await list(filter);
      await otherInstance.heartbeat('api');
      return rows;
    };
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    expect(await registry.get('api')).not.toBeNull();
  });

  it('never expires a registration without a lease (the seed’s services)', async () => {
    await registry.register({ name: 'legacy', url: 'http://legacy:8080' });
    await passing('legacy');
    clock.advance(365 * 86_400_000);
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    expect((await registry.get('legacy'))!.status).toBe('ok');
    // A heartbeat still refreshes last_seen, and can start a lease.
    expect(await registry.heartbeat('legacy')).toMatchObject({ lease_expires_at: null, last_seen: new Date(clock.now()).toISOString() });
    expect(await registry.heartbeat('legacy', { ttlSeconds: 60 })).toMatchObject({ ttl_seconds: 60, lease_expires_at: new Date(clock.now() + 60_000).toISOString() });
    clock.advance(40_000);
    expect((await registry.heartbeat('legacy')).lease_expires_at).toBe(new Date(clock.now() + 60_000).toISOString());
  });

  it('answers not_found for a heartbeat of an unknown service, and validates its ttl', async () => {
    await expect(registry.heartbeat('ghost')).rejects.toMatchObject({ code: 'not_found' });
    await registry.register({ name: 'api', url: 'http://api:8080' });
    await expect(registry.heartbeat('api', { ttlSeconds: 1 })).rejects.toMatchObject({ code: 'validation_failed', errors: [{ field: 'ttl_seconds' }] });
  });

  it('drops a registration without a lease on re-register, as the registration is the whole description', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    const { service } = await registry.register({ name: 'api', url: 'http://api:8080' });
    expect(service).toMatchObject({ ttl_seconds: null, lease_expires_at: null });
  });
});

describe('maintenance', () => {
  it('holds the status against probes and suspends lease expiry; leaving it starts from down', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    await passing('api');
    expect((await registry.setMaintenance('api', true)).status).toBe('maintenance');
    await registry.recordCheck('api', { health_url: 'http://api:8080/ping', status: 'down', error: 'connection refused', latency_ms: null, checked_at: iso() });
    clock.advance(CRITICAL_FOR * 10);
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    expect((await registry.get('api'))!.status).toBe('maintenance');
    expect(ofType('service.health.failed')).toEqual([]);
    expect((await registry.health()).status).toBe('maintenance');
    await registry.heartbeat('api');
    expect((await registry.setMaintenance('api', false)).status).toBe('down');
    await expect(registry.setMaintenance('ghost', true)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('recordCheck', () => {
  it('reports a failure once per streak and again when the status changes', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080' });
    const down = { health_url: 'http://api:8080/ping', status: 'down' as const, error: 'HTTP 500, expected 200–299', latency_ms: 3, checked_at: iso() };
    await registry.recordCheck('api', down);
    await registry.recordCheck('api', down);
    await registry.recordCheck('api', { ...down, status: 'degraded', error: 'HTTP 429: the service is shedding load' });
    await passing('api');
    await registry.recordCheck('api', down);
    expect(ofType('service.health.failed').map((e) => (e.data as { status: string }).status)).toEqual(['down', 'degraded', 'down']);
    expect(ofType('service.health.failed')[0]!.data).toMatchObject({ name: 'api', error: 'HTTP 500, expected 200–299', latency_ms: 3 });
  });

  it('drops a result for a health URL the service no longer has, or a service that is gone', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', health_url: 'http://api:8080/healthz' });
    expect(await passing('api')).toBeNull();
    expect((await registry.get('api'))!.last_check).toBeNull();
    expect(await passing('ghost')).toBeNull();
  });

  it('records status_since only when the status changes', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080' });
    clock.advance(1000);
    await passing('api');
    clock.advance(1000);
    await passing('api');
    expect((await registry.get('api'))!).toMatchObject({ status: 'ok', status_since: iso(1000), last_check: { checked_at: iso(2000) } });
  });
});

describe('health', () => {
  it('aggregates stored state worst first without probing', async () => {
    await registry.register({ name: 'a', url: 'http://a:8080' });
    await registry.register({ name: 'b', url: 'http://b:8080' });
    await passing('b');
    const report = await registry.health();
    expect(report).toEqual({
      status: 'down',
      checked_at: iso(),
      services: [
        { name: 'a', status: 'down', latency_ms: null, error: 'not checked yet', checked_at: null },
        { name: 'b', status: 'ok', latency_ms: 2, error: null, checked_at: iso() },
      ],
    });
  });
});

describe('change feed', () => {
  it('moves the version with every change and wakes a waiter at once', async () => {
    const v0 = await registry.version();
    const waiting = registry.waitForChange(v0, { timeoutMs: 60_000 });
    await registry.register({ name: 'a', url: 'http://a:8080' });
    const v1 = await waiting;
    expect(v1).toBeGreaterThan(v0);
    expect(await registry.waitForChange(v0)).toBe(v1);
  });

  it('gives up after the timeout with the current version', async () => {
    const v0 = await registry.version();
    let settled: number | undefined;
    void registry.waitForChange(v0, { timeoutMs: 5000 }).then((v) => (settled = v));
    await clock.advanceAsync(4999);
    expect(settled).toBeUndefined();
    await clock.advanceAsync(1);
    expect(settled).toBe(v0);
  });

  it('finds changes another process made to a shared store by polling it', async () => {
    const other = createRegistry({ store, clock });
    const v0 = await registry.version();
    let settled: number | undefined;
    void registry.waitForChange(v0, { timeoutMs: 60_000 }).then((v) => (settled = v));
    await clock.advanceAsync(10);
    // Written straight to the store, as another instance would: nothing here is told.
    await store.upsert({ ...(await other.register({ name: 'x', url: 'http://x:1' })).service, meta: {}, lease_expires_at: null });
    expect(settled).toBeUndefined();
    await clock.advanceAsync(1000);
    expect(settled).toBeGreaterThan(v0);
  });

  it('returns at once when aborted or closed', async () => {
    const v0 = await registry.version();
    const controller = new AbortController();
    const waiting = registry.waitForChange(v0, { signal: controller.signal });
    controller.abort();
    expect(await waiting).toBe(v0);
    const closing = registry.waitForChange(v0);
    registry.close();
    expect(await closing).toBe(v0);
  });

  it('tells subscribers about registrations, status changes and removals, not heartbeats', async () => {
    const changes: RegistryChange[] = [];
    const off = registry.subscribe((c) => changes.push(c));
    await registry.register({ name: 'a', url: 'http://a:8080', ttl_seconds: 30 });
    await registry.register({ name: 'a', url: 'http://a:8080', ttl_seconds: 30 });
    await registry.heartbeat('a');
    await passing('a');
    await passing('a');
    clock.advance(30_000);
    await registry.expireLeases();
    await registry.remove('a');
    off();
    await registry.register({ name: 'b', url: 'http://b:8080' });
    expect(changes).toEqual([
      { type: 'registered', name: 'a', status: 'down' },
      { type: 'updated', name: 'a', status: 'down' },
      { type: 'status', name: 'a', status: 'ok' },
      { type: 'status', name: 'a', status: 'down' },
      { type: 'removed', name: 'a', reason: 'requested' },
    ]);
  });
});
