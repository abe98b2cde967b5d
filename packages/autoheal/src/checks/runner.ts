import { createEgressPolicy, type Clock, type EgressPolicy, type RuntimeAdapter } from '@aetherlink/core';
import { DEFAULT_PROBE_EGRESS, egressConnector } from '@aetherlink/registry';
import { Agent, type Dispatcher } from 'undici';
import type { HealPolicy, Observation, ResolvedTarget } from '../types.js';
import { combine } from './combine.js';
import { runCustomCheck } from './custom.js';
import { runHttpCheck } from './http.js';
import { runRuntimeCheck } from './runtime.js';
import { runTcpCheck } from './tcp.js';

export interface CheckRunnerOptions {
  runtime: RuntimeAdapter | null;
  policy: HealPolicy;
  clock: Clock;
  egress?: EgressPolicy;
  dispatcher?: Dispatcher;
}

export interface CheckRunner {
  /** Runs every check of a target at once and combines them. */
  observe(target: ResolvedTarget, signal?: AbortSignal): Promise<Observation>;
  close(): Promise<void>;
}

/**
 * Runs targets' checks: HTTP through the registry's prober on a keep-alive agent that connects through the egress
 * policy, TCP through the same policy, custom functions, and the runtime's own view.
 * @example const runner = createCheckRunner({ runtime, policy, clock }); const obs = await runner.observe(target)
 */
export function createCheckRunner(options: CheckRunnerOptions): CheckRunner {
  const { runtime, policy, clock } = options;
  const egress = options.egress ?? createEgressPolicy(DEFAULT_PROBE_EGRESS);
  const connect = egressConnector(egress, { timeout: policy.checkTimeoutMs });
  const own = options.dispatcher ? undefined : new Agent({ connections: policy.checkConcurrency, keepAliveTimeout: 30_000, connect });
  // Retries close their connection after the answer, so this agent never holds a stale one (see the prober).
  const retry = options.dispatcher ? undefined : new Agent({ connect });
  const dispatcher = options.dispatcher ?? own!;
  const refuse = options.dispatcher
    ? async (url: string) => {
        const decision = await egress.check(url);
        return decision.allowed || decision.kind === 'unresolved' ? null : `refused to connect: ${decision.reason}`;
      }
    : undefined;
  let closing: Promise<void> | undefined;

  return {
    async observe(target, signal) {
      const at = clock.now();
      const outcomes = await Promise.all(
        target.checks.map((check) => {
          switch (check.kind) {
            case 'http':
              return runHttpCheck(check, { dispatcher, ...(retry ? { retryDispatcher: retry } : {}), clock, drainingMarkers: policy.drainingMarkers, ...(refuse ? { refuse } : {}), ...(signal ? { signal } : {}) });
            case 'tcp':
              return runTcpCheck(check, { egress, clock, ...(signal ? { signal } : {}) });
            case 'custom':
              return runCustomCheck(check, target.name, { clock, ...(signal ? { signal } : {}) });
            case 'runtime':
              return runRuntimeCheck(check, target.runtimeId, runtime, signal);
          }
        }),
      );
      return combine(outcomes, at);
    },
    async close() {
      closing ??= Promise.all([own?.close(), retry?.close()]).then(() => undefined);
      await closing;
    },
  };
}
