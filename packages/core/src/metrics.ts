import { collectDefaultMetrics, Registry, type Metric } from 'prom-client';
import { requestDurations } from './request-durations.js';
import type { MetricsRegistry } from './runtime/module.js';

export interface MetricsRegistryOptions {
  /** Node process metrics (CPU, memory, event-loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /** Labels every series carries, e.g. `{ instance }`. */
  labels?: Record<string, string>;
}

/**
 * A prom-client registry for an app: process metrics plus whatever its modules register.
 * @example const metrics = createMetricsRegistry(); createModuleHost({ modules, metrics })
 */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): MetricsRegistry {
  const registry = new Registry();
  if (options.labels) registry.setDefaultLabels(options.labels);
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * The metric named `config.name` on `registry`, made by `make` the first time: several modules or adapters on one
 * registry share it instead of failing on a duplicate name.
 * @example const published = sharedMetric(registry, 'aetherlink_events_published_total', () => new Counter({ ... }))
 */
export function sharedMetric<M extends Metric>(registry: MetricsRegistry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

/** Seconds, from a millisecond to a minute: HTTP handlers and background passes alike. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * `http_request_duration_seconds{method,route,status}` on `registry`, for the HTTP adapters. `route` is the route
 * template (never the raw URL, which would grow the series without bound).
 * @example const observe = httpRequestMetric(registry); observe('GET', '/events/recent', 200, 0.004)
 */
export function httpRequestMetric(registry: MetricsRegistry): (method: string, route: string, status: number, seconds: number) => void {
  return requestDurations(registry, 'http_request_duration_seconds', 'HTTP requests by method, route template and status, in seconds', DURATION_BUCKETS);
}

// Re-exported so packages make their metrics with the same prom-client the app's registry comes from.
export { Counter, Gauge, Histogram } from 'prom-client';
export type { Registry } from 'prom-client';
