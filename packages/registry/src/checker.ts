import { AetherError } from '@aetherlink/core';
import { Agent } from 'undici';
import { mapLimit } from './_internal/pool.js';
import { iso } from './_internal/time.js';
import { aggregateHealth } from './aggregate.js';
import { DEFAULT_CONDITIONS, evaluateProbe, probeSettings } from './evaluate.js';
import { probe } from './probe.js';
import type { CheckAllOptions, HealthChecker, HealthCheckerOptions, HealthReport, ServiceHealth, ServiceView } from './types.js';
import { toServiceHealth } from './view.js';

/**
 * Probes every registered service over undici (keep-alive, bounded concurrency, per-probe deadline), stores each
 * result in the registry and returns the health report worst first. Run `checkAll()` from a loop; it has no timer.
 * @example
 * const checker = createHealthChecker({ registry, concurrency: 32, timeoutMs: 2000 });
 * const report = await checker.checkAll(); // { status: 'down', checked_at, services: [...] }
 */
export function createHealthChecker(options: HealthCheckerOptions): HealthChecker {
  const { registry } = options;
  const clock = options.clock ?? registry.clock;
  const concurrency = Math.max(1, options.concurrency ?? 16);
  const timeoutMs = options.timeoutMs ?? 5000;
  const defaults = { ...DEFAULT_CONDITIONS, ...options.conditions };
  const onError = options.onError ?? ((error: unknown) => process.emitWarning(`health checker: ${String(error)}`, 'AetherLinkWarning'));
  const ownDispatcher = options.dispatcher
    ? undefined
    : new Agent({ connections: concurrency, keepAliveTimeout: 30_000, connect: { timeout: timeoutMs } });
  const dispatcher = options.dispatcher ?? ownDispatcher!;
  let inFlight: Promise<HealthReport> | undefined;
  let lastPass: number | null = null;

  const checkOne = async (service: ServiceView, signal?: AbortSignal): Promise<ServiceHealth> => {
    // A cancelled pass (leadership lost, shutdown) must not write "down" for probes it cut short.
    if (signal?.aborted) return toServiceHealth(service, clock.now());
    const settings = probeSettings(service.check, defaults, timeoutMs);
    const result = await probe(service.health_url, {
      dispatcher,
      clock,
      timeoutMs: settings.timeoutMs,
      readBody: settings.conditions.body !== undefined,
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(signal ? { signal } : {}),
    });
    if (signal?.aborted) return toServiceHealth(service, clock.now());
    const verdict = evaluateProbe(result, settings.conditions);
    const checkedAt = iso(clock.now());
    const latency = result.statusCode === null ? null : result.latencyMs;
    try {
      const stored = await registry.recordCheck(service.name, {
        health_url: service.health_url,
        status: verdict.status,
        error: verdict.error,
        latency_ms: latency,
        checked_at: checkedAt,
      });
      if (stored) return toServiceHealth(stored, clock.now());
    } catch (error) {
      onError(error);
    }
    return { name: service.name, status: verdict.status, latency_ms: latency, error: verdict.error, checked_at: checkedAt };
  };

  const pass = async (passOptions: CheckAllOptions): Promise<HealthReport> => {
    const started = clock.now();
    const services = await registry.list(passOptions.tag === undefined ? {} : { tag: passOptions.tag });
    const results = await mapLimit(services, concurrency, (service) => checkOne(service, passOptions.signal));
    if (passOptions.tag === undefined) lastPass = clock.now();
    return aggregateHealth(results, iso(started));
  };

  return {
    checkAll(passOptions = {}) {
      // Unsignalled callers (GET /ops/health) asking at once share one full pass. A signalled pass (the loop's)
      // runs on its own, so losing leadership cuts it short and none of its results are stored.
      if (passOptions.tag !== undefined || passOptions.signal) return pass(passOptions);
      inFlight ??= pass({}).finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    async checkService(name, serviceOptions = {}) {
      const service = await registry.get(name);
      if (!service) throw new AetherError('not_found', `no service named "${name}" is registered`, { details: { name } });
      return checkOne(service, serviceOptions.signal);
    },
    lastPassAt: () => lastPass,
    async close() {
      await ownDispatcher?.close();
    },
  };
}
