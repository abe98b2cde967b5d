import { memoryLogger, type LogLine } from '@aetherlink/core/testing';
import { AetherError, createEventBus, createManualClock, memoryRegistryStore, type ManualClock, type RegistryStore, type StoredEvent } from '@aetherlink/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from './registry.js';
import type { Registry } from './types.js';

// Another instance writes a record between this registry's read of it and its write: the write must be refused
// and the decision taken again on a fresh read. The other write is slipped in right after the store answers.

const CRITICAL_FOR = 120_000;
let clock: ManualClock;
let store: RegistryStore;
let events: StoredEvent[];
let lines: LogLine[];
let registry: Registry;
let other: Registry;

beforeEach(() => {
  clock = createManualClock();
  store = memoryRegistryStore();
  const bus = createEventBus({ clock });
  events = [];
  bus.subscribe({}, (e) => events.push(e));
  const recording = memoryLogger();
  lines = recording.lines;
  registry = createRegistry({ store, bus, clock, criticalForMs: CRITICAL_FOR, logger: recording.logger });
  // Another instance: the same records, reached without the interception below (its own copy of the methods).
  other = createRegistry({ store: { ...store }, clock, criticalForMs: CRITICAL_FOR });
});

const iso = (offsetMs = 0) => new Date(clock.now() + offsetMs).toISOString();

/** After the next `times` reads of `name` through this registry's store, runs `write` before answering. */
function interleave(name: string, write: () => Promise<unknown>, times = 1): void {
  const get = store.get.bind(store);
  let left = times;
  store.get = async (n) => {
    const record = await get(n);
    if (n === name && left > 0) {
      left--;
      await write();
    }
    return record;
  };
}

describe('conditional writes against another instance', () => {
  it('keeps a service whose heartbeat lands between the expiry pass reading it and deregistering it', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    clock.advance(30_000 + CRITICAL_FOR);
    interleave('api', () => other.heartbeat('api'));
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    expect(await registry.get('api')).toMatchObject({ lease_expires_at: iso(30_000) });
    expect(events.filter((e) => e.type === 'service.unregistered')).toEqual([]);
    expect(lines.filter((l) => l.level === 'debug').map((l) => l.fields)).toEqual([{ service: 'api', tries: 1 }]);
  });

  it('keeps a service up whose heartbeat lands between the expiry pass reading it and marking it down', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    await registry.recordCheck('api', { health_url: 'http://api:8080/ping', status: 'ok', error: null, latency_ms: 1, checked_at: iso() });
    clock.advance(30_000);
    interleave('api', () => other.heartbeat('api'));
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    expect((await registry.get('api'))!.status).toBe('ok');
    expect(events.filter((e) => e.type === 'service.health.failed')).toEqual([]);
  });

  it('still expires a lease when the write that beat it was not a renewal', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    clock.advance(30_000 + CRITICAL_FOR);
    interleave('api', () => store.patch('api', { tags: ['moved'] }));
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: ['api'] });
  });

  it('drops a probe result when the service re-registered with a new health URL between its read and its write', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080' });
    interleave('api', () => other.register({ name: 'api', url: 'http://api:8080', health_url: 'http://api:9090/healthz' }));
    const result = await registry.recordCheck('api', { health_url: 'http://api:8080/ping', status: 'ok', error: null, latency_ms: 1, checked_at: iso() });
    expect(result).toBeNull();
    expect(await registry.get('api')).toMatchObject({ health_url: 'http://api:9090/healthz', status: 'down', last_check: null });
  });

  it('records a probe result on a fresh read when only a heartbeat beat it', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    interleave('api', () => other.heartbeat('api'));
    const result = await registry.recordCheck('api', { health_url: 'http://api:8080/ping', status: 'ok', error: null, latency_ms: 1, checked_at: iso() });
    expect(result).toMatchObject({ status: 'ok', last_check: { latency_ms: 1 } });
  });

  it('sets maintenance on a fresh read when another write beat it', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080' });
    interleave('api', () => other.setMaintenance('api', true));
    // Another instance already put it into maintenance: the fresh read finds nothing left to do.
    expect((await registry.setMaintenance('api', true)).status).toBe('maintenance');
    interleave('api', () => other.heartbeat('api'));
    expect((await registry.setMaintenance('api', false)).status).toBe('down');
  });

  it('gives up after losing five races in a row, logs it, and leaves the record to the next pass', async () => {
    await registry.register({ name: 'api', url: 'http://api:8080', ttl_seconds: 30 });
    clock.advance(30_000 + CRITICAL_FOR);
    // Every read is followed by a write that is no renewal: the lease stays expired, the revision keeps moving.
    interleave('api', () => store.patch('api', { tags: ['busy'] }), 5);
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: [] });
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      { level: 'warn', fields: { service: 'api', tries: 5 }, msg: 'lease expiry: the service kept changing under it; left for the next pass' },
    ]);
    expect(await registry.expireLeases()).toEqual({ expired: [], deregistered: ['api'] });

    await registry.register({ name: 'm', url: 'http://m:8080' });
    interleave('m', () => store.patch('m', { tags: ['busy'] }), 5);
    await expect(registry.setMaintenance('m', true)).rejects.toSatisfy((e: unknown) => e instanceof AetherError && e.code === 'conflict');
  });
});

describe('logging', () => {
  it('logs a failing event store through the injected logger', async () => {
    const recording = memoryLogger();
    const failing = createEventBus({ clock });
    failing.emit = () => Promise.reject(new AetherError('unavailable', 'event store down'));
    const r = createRegistry({ store, clock, bus: failing, logger: recording.logger });
    expect((await r.register({ name: 'billing', url: 'http://billing:8080' })).service.name).toBe('billing');
    expect(recording.lines).toMatchObject([{ level: 'error', fields: { err: { message: 'event store down' } } }]);
  });
});
