import { AetherError, createEgressPolicy, errorFields, loggerFor, validationError, type EgressPolicyOptions } from '@aetherlink/core';
import { Agent } from 'undici';
import { egressConnector } from './egress-connector.js';
import { mapLimit } from './_internal/pool.js';
import { iso } from './_internal/time.js';
import { aggregateHealth } from './aggregate.js';
import { DEFAULT_CONDITIONS, evaluateProbe, probeSettings } from './evaluate.js';
import { probe } from './probe.js';
import type { CheckAllOptions, HealthChecker, HealthCheckerOptions, HealthReport, ProbeResult, ServiceHealth, ServiceView } from './types.js';
import { toServiceHealth } from './view.js';

/**
 * The egress rules of the checker's default policy: registered services are internal, so private and loopback
 * addresses are allowed; link-local and cloud metadata addresses are refused, as every policy refuses them.
 * @example createHealthChecker({ registry, egress: createEgressPolicy({ ...DEFAULT_PROBE_EGRESS, deny: ['10.99.0.0/16'] }) })
 */
export const DEFAULT_PROBE_EGRESS: Readonly<EgressPolicyOptions> = Object.freeze({ allowPrivate: true, allowLoopback: true });

// A registration waits at most this long for its health URL's host to resolve before it is let through unjudged.
const VET_LOOKUP_MS = 2000;

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
  const log = loggerFor(options.logger, 'registry.checker');
  const onError = options.onError ?? ((error: unknown) => log.error({ err: errorFields(error) }, 'a probe result could not be stored'));
  const egress = options.egress ?? createEgressPolicy(DEFAULT_PROBE_EGRESS);
  const connect = egressConnector(egress, { timeout: timeoutMs });
  const ownDispatcher = options.dispatcher ? undefined : new Agent({ connections: concurrency, keepAliveTimeout: 30_000, connect });
  // Retries close their connection after the answer (see probe), so this agent never holds a stale one.
  const retryDispatcher = options.dispatcher ? undefined : new Agent({ connect });
  const dispatcher = options.dispatcher ?? ownDispatcher!;
  // A dispatcher of the app's own may not judge the address it connects to: the URL is checked before each probe.
  const refusedBeforeProbe = async (url: string): Promise<ProbeResult | null> => {
    if (!options.dispatcher) return null;
    const decision = await egress.check(url);
    if (decision.allowed || decision.kind === 'unresolved') return null;
    return { statusCode: null, latencyMs: 0, error: `refused to connect: ${decision.reason}` };
  };
  let inFlight: Promise<HealthReport> | undefined;
  let lastPass: number | null = null;
  let closing: Promise<void> | undefined;

  const checkOne = async (service: ServiceView, signal?: AbortSignal): Promise<ServiceHealth> => {
    // A cancelled pass (leadership lost, shutdown) must not write "down" for probes it cut short.
    if (signal?.aborted) return toServiceHealth(service, clock.now());
    const settings = probeSettings(service.check, defaults, timeoutMs);
    const result = (await refusedBeforeProbe(service.health_url)) ?? (await probe(service.health_url, {
      dispatcher,
      ...(retryDispatcher ? { retryDispatcher } : {}),
      clock,
      timeoutMs: settings.timeoutMs,
      readBody: settings.conditions.body !== undefined,
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(signal ? { signal } : {}),
    }));
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
    async vetHealthUrl(url) {
      const decision = await egress.check(url, { timeoutMs: VET_LOOKUP_MS });
      // A name that does not resolve yet (the service is still being deployed) is the probes' to report.
      if (decision.allowed || decision.kind === 'unresolved') return;
      throw validationError([{ field: 'health_url', message: `may not be probed: ${decision.reason}` }], 'the registration is invalid');
    },
    lastPassAt: () => lastPass,
    async close() {
      // Idempotent: undici rejects a second close of the same agent.
      closing ??= Promise.all([ownDispatcher?.close(), retryDispatcher?.close()]).then(() => undefined);
      await closing;
    },
  };
}
