import type { RuntimeAdapter } from '@aetherlink/core';
import type { Reason } from './state.js';
import type { ResolvedTarget } from './types.js';

/** Why the runtime says not to restart now; `record` when it belongs in history (once per failure streak). */
export interface Veto {
  reason: Extract<Reason, 'manual_stop' | 'runtime_busy' | 'missing' | 'runtime_unavailable'>;
  message: string;
  record: boolean;
}

/**
 * Asks the runtime about the workload right before a restart: a person stopped it (left stopped), it is
 * restarting, starting or paused already, the runtime does not know it, or the runtime cannot tell.
 * @example const veto = await vetoOf(runtime, target, signal) // null: go ahead
 */
export async function vetoOf(runtime: RuntimeAdapter, target: ResolvedTarget, signal: AbortSignal): Promise<Veto | null> {
  let info;
  try {
    info = await runtime.inspect(target.runtimeId, { abort: AbortSignal.any([signal, AbortSignal.timeout(Math.max(1000, target.stopTimeoutMs))]) });
  } catch (error) {
    return { reason: 'runtime_unavailable', message: `the ${runtime.kind} runtime could not tell the state of "${target.runtimeId}": ${error instanceof Error ? error.message : String(error)}`, record: false };
  }
  if (info.stoppedByOperator) return { reason: 'manual_stop', message: `"${target.runtimeId}" was stopped by an operator: it is left stopped`, record: true };
  if (info.state === 'missing') return { reason: 'missing', message: `the ${runtime.kind} runtime knows no workload named "${target.runtimeId}"`, record: true };
  if (info.state === 'restarting' || info.state === 'starting' || info.state === 'paused') {
    return { reason: 'runtime_busy', message: `"${target.runtimeId}" is ${info.state} already; it is not restarted on top of that`, record: false };
  }
  if (info.state === 'unknown') return { reason: 'runtime_unavailable', message: `the ${runtime.kind} runtime cannot tell the state of "${target.runtimeId}"`, record: false };
  return null;
}
