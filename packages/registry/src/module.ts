import { DURATION_BUCKETS, Gauge, Histogram, HEALTH_STATUSES, sharedMetric, type Logger, type Module } from '@aetherlink/core';
import { createHealthChecker } from './checker.js';
import { REGISTRY_EVENT_TYPES } from './events.js';
import { createRegistry } from './registry.js';
import { registryRoutes } from './routes.js';
import { registerSelf } from './self-register.js';
import type { HealthChecker, HealthCheckerOptions, Registry, RegistryOptions, SelfRegistration, SelfRegistrationOptions } from './types.js';

export interface RegistryModuleOptions extends RegistryOptions {
  /** Health probing of every registered service, by one instance of the fleet. */
  probe?: Omit<HealthCheckerOptions, 'registry' | 'clock' | 'logger'> & { intervalMs?: number };
  /** How often expired leases are marked down and, after `criticalForMs`, deregistered. Default 5000 ms. */
  leaseCheckMs?: number;
  logger?: Logger;
}

export interface RegistryModule extends Module {
  readonly registry: Registry;
  readonly checker: HealthChecker;
}

/**
 * The service registry as a module: its routes, the probe and lease loops (one instance of the fleet runs them),
 * its events, and services by status and probe latency in `/metrics`.
 * @example const registry = registryModule({ store: stores.registry, bus, logger: log.child({ component: 'registry' }) })
 */
export function registryModule(options: RegistryModuleOptions): RegistryModule {
  const { probe = {}, leaseCheckMs = 5000, ...registryOptions } = options;
  const registry = createRegistry(registryOptions);
  const { intervalMs: probeIntervalMs = 15_000, ...checkerOptions } = probe;
  const checker = createHealthChecker({ ...checkerOptions, registry, ...(options.logger ? { logger: options.logger } : {}) });
  let probeLatency: Histogram<'status'> | undefined;

  return {
    name: 'registry',
    registry,
    checker,
    routes: registryRoutes({ registry, checker }),
    loops: [
      {
        name: 'registry-probe',
        intervalMs: probeIntervalMs,
        run: async (signal) => {
          const report = await checker.checkAll({ signal });
          for (const s of report.services) if (s.latency_ms !== null) probeLatency?.observe({ status: s.status }, s.latency_ms / 1000);
        },
      },
      { name: 'registry-leases', intervalMs: leaseCheckMs, run: () => registry.expireLeases() },
    ],
    eventTypes: REGISTRY_EVENT_TYPES,
    metrics(metrics) {
      sharedMetric(
        metrics,
        'aetherlink_registry_services',
        () =>
          new Gauge({
            name: 'aetherlink_registry_services',
            help: 'Registered services by effective status',
            labelNames: ['status'] as const,
            registers: [metrics],
            async collect() {
              const counts = Object.fromEntries(HEALTH_STATUSES.map((s) => [s, 0])) as Record<string, number>;
              for (const s of await registry.list()) counts[s.status] = (counts[s.status] ?? 0) + 1;
              for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
            },
          }),
      );
      probeLatency = sharedMetric(
        metrics,
        'aetherlink_registry_probe_duration_seconds',
        () =>
          new Histogram({
            name: 'aetherlink_registry_probe_duration_seconds',
            help: 'Health probe latency of registered services, by the status the probe found',
            labelNames: ['status'] as const,
            buckets: DURATION_BUCKETS,
            registers: [metrics],
          }),
      );
    },
    // Ends long-polling change-feed waits, which would otherwise hold the server's close up.
    drain: () => registry.close(),
    async close() {
      registry.close();
      await checker.close();
    },
  };
}

export interface SelfRegistrationModuleOptions extends Omit<SelfRegistrationOptions, 'controlPlaneUrl' | 'service'> {
  /** The control plane's URL, read when the app starts serving (it may be this app's own listening address). */
  controlPlaneUrl: string | (() => string);
  /** What to register, read when the app starts serving (its URL may be the listening address). */
  service: SelfRegistrationOptions['service'] | (() => SelfRegistrationOptions['service']);
}

/**
 * Registers the app with a control plane once it serves, and deregisters it when shutdown begins, while it can
 * still answer its own requests.
 * @example modules.push(selfRegistrationModule({ controlPlaneUrl: () => address, service: { name: 'crm', url }, auth: { roles: ['operator'] } }))
 */
export function selfRegistrationModule(options: SelfRegistrationModuleOptions): Module & { registration(): SelfRegistration | undefined } {
  let self: SelfRegistration | undefined;
  return {
    name: 'self-registration',
    routes: [],
    loops: [],
    eventTypes: [],
    registration: () => self,
    start() {
      const controlPlaneUrl = typeof options.controlPlaneUrl === 'function' ? options.controlPlaneUrl() : options.controlPlaneUrl;
      const service = typeof options.service === 'function' ? options.service() : options.service;
      self = registerSelf({ ...options, controlPlaneUrl, service });
    },
    drain: async () => {
      await self?.stop();
    },
    close: async () => {
      await self?.stop();
    },
  };
}
