import { AetherError, memoryRegistryStore, systemClock, type ServiceRecord } from '@aetherlink/core';
import { createKeyedLock } from './_internal/keyed-lock.js';
import { iso } from './_internal/time.js';
import { aggregateHealth } from './aggregate.js';
import { decideLease, leaseExpiresAt } from './leases.js';
import { createHeartbeatSchema, createRegistrationSchema, DEFAULT_LIMITS, parseOrThrow, type RegistrationLimits } from './schemas.js';
import { reportsFailure, statusAfterProbe, statusOnRegister } from './transitions.js';
import type { ExpiryResult, Registry, RegistryChange, RegistryOptions } from './types.js';
import { packMeta, toServiceHealth, toServiceView, unpackMeta } from './view.js';

const DEFAULT_CRITICAL_FOR_MS = 300_000;
const DEFAULT_WAIT_MS = 30_000;

/**
 * The service registry over any `RegistryStore`: upsert by name, heartbeat leases, a change feed and events.
 * @example
 * const registry = createRegistry({ store: stores.registry, bus, clock });
 * await registry.register({ name: 'billing', url: 'http://billing:8080', ttl_seconds: 90 });
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const store = options.store ?? memoryRegistryStore();
  const clock = options.clock ?? systemClock;
  const bus = options.bus;
  const criticalForMs = options.criticalForMs ?? DEFAULT_CRITICAL_FOR_MS;
  const changePollMs = options.changePollMs ?? 1000;
  const limits: RegistrationLimits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits });
  const registrationSchema = createRegistrationSchema(limits);
  const heartbeatSchema = createHeartbeatSchema(limits);
  const onError = options.onError ?? ((error: unknown) => process.emitWarning(`registry: ${String(error)}`, 'AetherLinkWarning'));
  const lock = createKeyedLock();
  const listeners = new Set<(change: RegistryChange) => void>();
  const waiters = new Set<() => void>();
  let closed = false;

  const emit = async (type: string, data: Record<string, unknown>, subject: string) => {
    if (!bus) return;
    try {
      await bus.emit(type, data, { subject, ...(options.source ? { source: options.source } : {}) });
    } catch (error) {
      // The registry's own write already happened; an event store outage must not undo or fail it.
      onError(error);
    }
  };

  const wake = () => {
    for (const resolve of [...waiters]) resolve();
  };

  const changed = (change?: RegistryChange) => {
    wake();
    if (!change) return;
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (error) {
        onError(error);
      }
    }
  };

  const notFound = (name: string) => new AetherError('not_found', `no service named "${name}" is registered`, { details: { name } });

  const registry: Registry = {
    store,
    clock,
    limits,

    async register(input) {
      const reg = parseOrThrow(registrationSchema, input, 'the registration is invalid');
      return lock.run(reg.name, async () => {
        const now = clock.now();
        const at = iso(now);
        const existing = await store.get(reg.name);
        const record: ServiceRecord = {
          name: reg.name,
          url: reg.url,
          health_url: reg.health_url,
          version: reg.version,
          roles_required: reg.roles_required,
          tags: reg.tags,
          meta: packMeta(reg.meta, reg.ttl_seconds, reg.check),
          ...statusOnRegister(existing, reg.health_url, at),
          registered_at: at,
          last_seen: at,
          lease_expires_at: reg.ttl_seconds === null ? null : leaseExpiresAt(now, reg.ttl_seconds),
        };
        const { record: stored, created } = await store.upsert(record);
        const service = toServiceView(stored, now);
        await emit(
          'service.registered',
          {
            name: service.name,
            url: service.url,
            health_url: service.health_url,
            ...(service.version !== null ? { version: service.version } : {}),
            tags: service.tags,
            created,
            ttl_seconds: service.ttl_seconds,
          },
          service.name,
        );
        changed({ type: created ? 'registered' : 'updated', name: service.name, status: service.status });
        return { service, created };
      });
    },

    async get(name) {
      const record = await store.get(name);
      return record ? toServiceView(record, clock.now()) : null;
    },

    async list(filter = {}) {
      const records = await store.list(filter.tag === undefined ? {} : { tag: filter.tag });
      const now = clock.now();
      const views = records.map((r) => toServiceView(r, now));
      // Filtered here, not in the store: the effective status depends on the lease as of now.
      return filter.status === undefined ? views : views.filter((v) => v.status === filter.status);
    },

    remove(name, reason = 'requested') {
      return lock.run(name, async () => {
        const removed = await store.remove(name);
        if (!removed) return false;
        await emit('service.unregistered', { name, reason }, name);
        changed({ type: 'removed', name, reason });
        return true;
      });
    },

    async heartbeat(name, heartbeatOptions = {}) {
      const body = parseOrThrow(
        heartbeatSchema,
        heartbeatOptions.ttlSeconds === undefined ? {} : { ttl_seconds: heartbeatOptions.ttlSeconds },
        'the heartbeat is invalid',
      );
      return lock.run(name, async () => {
        const existing = await store.get(name);
        if (!existing) throw notFound(name);
        const now = clock.now();
        const unpacked = unpackMeta(existing.meta);
        const ttl = body.ttl_seconds ?? unpacked.ttlSeconds;
        const patched = await store.patch(name, {
          last_seen: iso(now),
          lease_expires_at: ttl === null ? null : leaseExpiresAt(now, ttl),
          ...(body.ttl_seconds !== undefined ? { meta: packMeta(unpacked.meta, ttl, unpacked.check) } : {}),
        });
        if (!patched) throw notFound(name);
        changed();
        return toServiceView(patched, now);
      });
    },

    setMaintenance(name, enabled) {
      return lock.run(name, async () => {
        const existing = await store.get(name);
        if (!existing) throw notFound(name);
        const now = clock.now();
        const inMaintenance = existing.status === 'maintenance';
        if (enabled === inMaintenance) return toServiceView(existing, now);
        // Leaving maintenance starts from `down`, as a new registration does, until a check passes.
        const patched = await store.patch(name, { status: enabled ? 'maintenance' : 'down', status_since: iso(now), last_check: enabled ? existing.last_check : null });
        if (!patched) throw notFound(name);
        const view = toServiceView(patched, now);
        changed({ type: 'status', name, status: view.status });
        return view;
      });
    },

    recordCheck(name, outcome) {
      return lock.run(name, async () => {
        const existing = await store.get(name);
        // Re-registered with another health URL while the probe ran: this result says nothing about the new one.
        if (!existing || existing.health_url !== outcome.health_url) return null;
        const now = clock.now();
        const next = statusAfterProbe(existing, outcome.status, now);
        const patched = await store.patch(name, {
          status: next,
          ...(next !== existing.status ? { status_since: outcome.checked_at } : {}),
          last_check: { checked_at: outcome.checked_at, latency_ms: outcome.latency_ms, error: outcome.error },
        });
        if (!patched) return null;
        const view = toServiceView(patched, now);
        if (reportsFailure(existing, outcome, next)) {
          await emit(
            'service.health.failed',
            { name, status: outcome.status, error: outcome.error, latency_ms: outcome.latency_ms, previous_status: existing.status, health_url: existing.health_url },
            name,
          );
        }
        changed(next !== existing.status ? { type: 'status', name, status: view.status } : undefined);
        return view;
      });
    },

    async expireLeases() {
      const result: ExpiryResult = { expired: [], deregistered: [] };
      const candidates = (await store.list()).filter((r) => decideLease(r, clock.now(), criticalForMs) !== 'keep');
      for (const candidate of candidates) {
        await lock.run(candidate.name, async () => {
          // Decide again on a fresh read: a heartbeat may have landed since the list.
          const record = await store.get(candidate.name);
          if (!record) return;
          const now = clock.now();
          const action = decideLease(record, now, criticalForMs);
          if (action === 'deregister') {
            if (!(await store.remove(record.name))) return;
            result.deregistered.push(record.name);
            await emit(
              'service.unregistered',
              { name: record.name, reason: 'lease_expired', lease_expired_at: record.lease_expires_at, critical_for_seconds: criticalForMs / 1000 },
              record.name,
            );
            changed({ type: 'removed', name: record.name, reason: 'lease_expired' });
          } else if (action === 'mark_down') {
            const error = `lease expired at ${record.lease_expires_at} (no heartbeat)`;
            const patched = await store.patch(record.name, { status: 'down', status_since: iso(now) });
            if (!patched) return;
            result.expired.push(record.name);
            await emit('service.health.failed', { name: record.name, status: 'down', error, latency_ms: null, previous_status: record.status }, record.name);
            changed({ type: 'status', name: record.name, status: 'down' });
          }
        });
      }
      return result;
    },

    async health() {
      const now = clock.now();
      const views = await registry.list();
      return aggregateHealth(
        views.map((v) => toServiceHealth(v, now)),
        iso(now),
      );
    },

    version: () => store.version(),

    async waitForChange(after, waitOptions = {}) {
      const signal = waitOptions.signal;
      const deadline = clock.now() + (waitOptions.timeoutMs ?? DEFAULT_WAIT_MS);
      for (;;) {
        const current = await store.version();
        const remaining = deadline - clock.now();
        if (current > after || remaining <= 0 || signal?.aborted || closed) return current;
        // Woken at once by changes made here; the poll finds changes other processes made to a shared store.
        await new Promise<void>((resolve) => {
          const done = () => {
            clock.clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            waiters.delete(done);
            resolve();
          };
          const timer = clock.setTimeout(done, Math.min(remaining, changePollMs));
          signal?.addEventListener('abort', done, { once: true });
          waiters.add(done);
        });
      }
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    close() {
      closed = true;
      wake();
    },
  };
  return registry;
}
