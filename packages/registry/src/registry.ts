import { AetherError, errorFields, loggerFor, memoryRegistryStore, severityOf, systemClock, type ServiceInput } from '@aetherlink/core';
import { createChangeFeed } from './_internal/change-feed.js';
import { CHANGED, onFreshRead } from './_internal/conditional.js';
import { createKeyedLock } from './_internal/keyed-lock.js';
import { iso } from './_internal/time.js';
import { aggregateHealth } from './aggregate.js';
import { REGISTRY_EVENT_TYPES } from './events.js';
import { decideLease, leaseExpiresAt } from './leases.js';
import { createHeartbeatSchema, createRegistrationSchema, DEFAULT_LIMITS, parseOrThrow, type RegistrationLimits } from './schemas.js';
import { reportsFailure, statusAfterProbe, statusOnRegister } from './transitions.js';
import type { ExpiryResult, Registry, RegistryOptions } from './types.js';
import { toServiceHealth, toServiceView } from './view.js';

const DEFAULT_CRITICAL_FOR_MS = 300_000;

/**
 * The service registry over any `RegistryStore`: upsert by name, heartbeat leases, a change feed and events.
 * Lease expiry, maintenance and probe results read a record, decide with the pure deciders and write only if
 * the record is still the one they read, so instances sharing a store never act on a stale read.
 * @example
 * const registry = createRegistry({ store: stores.registry, bus, clock });
 * await registry.register({ name: 'billing', url: 'http://billing:8080', ttl_seconds: 90 });
 */
export function createRegistry(options: RegistryOptions = {}): Registry {
  const store = options.store ?? memoryRegistryStore();
  const clock = options.clock ?? systemClock;
  const bus = options.bus;
  const criticalForMs = options.criticalForMs ?? DEFAULT_CRITICAL_FOR_MS;
  const limits: RegistrationLimits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits });
  const registrationSchema = createRegistrationSchema(limits);
  const heartbeatSchema = createHeartbeatSchema(limits);
  const log = loggerFor(options.logger, 'registry');
  const onError = options.onError ?? ((error: unknown) => log.error({ err: errorFields(error) }, 'an event or a change subscriber failed; the registry carried on'));
  const lock = createKeyedLock();
  const feed = createChangeFeed(store, clock, options.changePollMs ?? 1000, onError);
  const changed = feed.changed;

  const emit = async (type: string, data: Record<string, unknown>, subject: string) => {
    if (!bus) return;
    try {
      await bus.emit(type, data, { subject, severity: severityOf(REGISTRY_EVENT_TYPES, type), ...(options.source ? { source: options.source } : {}) });
    } catch (error) {
      // The registry's own write already happened; an event store outage must not undo or fail it.
      onError(error);
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
        const record: ServiceInput = {
          name: reg.name,
          url: reg.url,
          health_url: reg.health_url,
          version: reg.version,
          roles_required: reg.roles_required,
          tags: reg.tags,
          meta: reg.meta,
          ttl_seconds: reg.ttl_seconds,
          check: reg.check,
          ...statusOnRegister(existing, reg.health_url, at),
          registered_at: at,
          last_seen: at,
          lease_expires_at: reg.ttl_seconds === null ? null : leaseExpiresAt(now, reg.ttl_seconds),
        };
        const { record: stored, created } = await store.upsert(record);
        const service = toServiceView(stored, now);
        // Every viewer reads events: a service's addresses stay behind ops:operate (GET /ops/services).
        await emit(
          'service.registered',
          { name: service.name, status: service.status, ...(service.version !== null ? { version: service.version } : {}), tags: service.tags, created },
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
        const ttl = body.ttl_seconds ?? existing.ttl_seconds;
        // Unconditional: a renewal is right whatever else changed, and every conditional writer re-reads after it.
        const patched = await store.patch(name, {
          last_seen: iso(now),
          lease_expires_at: ttl === null ? null : leaseExpiresAt(now, ttl),
          ...(body.ttl_seconds !== undefined ? { ttl_seconds: ttl } : {}),
        });
        if (!patched) throw notFound(name);
        changed();
        return toServiceView(patched, now);
      });
    },

    setMaintenance(name, enabled) {
      return lock.run(name, async () => {
        const result = await onFreshRead(store, name, log, 'maintenance', async (existing) => {
          if (!existing) throw notFound(name);
          const now = clock.now();
          if (enabled === (existing.status === 'maintenance')) return toServiceView(existing, now);
          // Leaving maintenance starts from `down`, as a new registration does, until a check passes.
          const patch = { status: enabled ? ('maintenance' as const) : ('down' as const), status_since: iso(now), last_check: enabled ? existing.last_check : null };
          const patched = await store.patch(name, patch, { ifRevision: existing.revision });
          if (!patched) return CHANGED;
          const view = toServiceView(patched, now);
          changed({ type: 'status', name, status: view.status });
          return view;
        });
        if (result === CHANGED) throw new AetherError('conflict', `"${name}" kept changing while its maintenance was being set; try again`, { details: { name } });
        return result;
      });
    },

    recordCheck(name, outcome) {
      return lock.run(name, async () => {
        const result = await onFreshRead(store, name, log, 'probe result', async (existing) => {
          // Re-registered with another health URL while the probe ran: this result says nothing about the new one.
          if (!existing || existing.health_url !== outcome.health_url) return null;
          const now = clock.now();
          const next = statusAfterProbe(existing, outcome.status, now);
          const patch = {
            status: next,
            ...(next !== existing.status ? { status_since: outcome.checked_at } : {}),
            last_check: { checked_at: outcome.checked_at, latency_ms: outcome.latency_ms, error: outcome.error },
          };
          const patched = await store.patch(name, patch, { ifRevision: existing.revision });
          if (!patched) return CHANGED;
          const view = toServiceView(patched, now);
          if (reportsFailure(existing, outcome, next)) {
            await emit(
              'service.health.failed',
              { name, status: outcome.status, error: outcome.error, latency_ms: outcome.latency_ms, previous_status: existing.status },
              name,
            );
          }
          changed(next !== existing.status ? { type: 'status', name, status: view.status } : undefined);
          return view;
        });
        return result === CHANGED ? null : result;
      });
    },

    async expireLeases() {
      const result: ExpiryResult = { expired: [], deregistered: [] };
      const candidates = (await store.list()).filter((r) => decideLease(r, clock.now(), criticalForMs) !== 'keep');
      for (const candidate of candidates) {
        // Decided again on a fresh read, and written only if nobody (a heartbeat on another instance) wrote since.
        await lock.run(candidate.name, () =>
          onFreshRead(store, candidate.name, log, 'lease expiry', async (record) => {
            if (!record) return;
            const now = clock.now();
            const action = decideLease(record, now, criticalForMs);
            if (action === 'deregister') {
              if (!(await store.remove(record.name, { ifRevision: record.revision }))) return CHANGED;
              result.deregistered.push(record.name);
              await emit(
                'service.unregistered',
                { name: record.name, reason: 'lease_expired', lease_expired_at: record.lease_expires_at, critical_for_seconds: criticalForMs / 1000 },
                record.name,
              );
              changed({ type: 'removed', name: record.name, reason: 'lease_expired' });
            } else if (action === 'mark_down') {
              const error = `lease expired at ${record.lease_expires_at} (no heartbeat)`;
              if (!(await store.patch(record.name, { status: 'down', status_since: iso(now) }, { ifRevision: record.revision }))) return CHANGED;
              result.expired.push(record.name);
              await emit('service.health.failed', { name: record.name, status: 'down', error, latency_ms: null, previous_status: record.status }, record.name);
              changed({ type: 'status', name: record.name, status: 'down' });
            }
          }),
        );
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

    waitForChange: (after, waitOptions) => feed.waitForChange(after, waitOptions),
    subscribe: (listener) => feed.subscribe(listener),
    close: () => feed.close(),
  };
  return registry;
}
