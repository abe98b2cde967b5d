import type { RuntimeAdapter } from '@aetherlink/core';
import type { Reason, ServiceState } from './state.js';
import type { ResolvedTarget } from './types.js';

/** Why the runtime says not to restart now; `record` when it belongs in history (once per failure streak). */
export interface Veto {
  reason: Extract<Reason, 'manual_stop' | 'runtime_busy' | 'missing' | 'runtime_unavailable'>;
  message: string;
  record: boolean;
}

/**
 * Asks the runtime about the workload right before a restart: a person stopped it (left stopped), it is
 * restarting, starting or paused already, it started again by itself after its failures began (its runtime
 * restarted it, e.g. with the Docker engine) and is still within its start grace, the runtime does not know it,
 * or the runtime cannot tell.
 * @example const veto = await vetoOf(runtime, target, state, now, signal) // null: go ahead
 */
export async function vetoOf(
  runtime: RuntimeAdapter,
  target: ResolvedTarget,
  state: Pick<ServiceState, 'failing_since' | 'restarts'>,
  now: number,
  signal: AbortSignal,
): Promise<Veto | null> {
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
  const fresh = freshStart(info.state === 'running' ? info.startedAt : null, target, state, now);
  if (fresh !== null) {
    const grace = Math.ceil((target.startGraceMs - fresh) / 1000);
    return {
      reason: 'runtime_busy',
      message: `"${target.runtimeId}" started again ${Math.round(fresh / 1000)} s ago, after its failures began, without auto-heal; it gets ${grace} s more of its start grace before a restart`,
      record: false,
    };
  }
  if (info.state === 'unknown') return { reason: 'runtime_unavailable', message: `the ${runtime.kind} runtime cannot tell the state of "${target.runtimeId}"`, record: false };
  return null;
}

/**
 * How long ago (ms) the workload started, when that start came after its failure streak began, was not one of
 * auto-heal's own restarts, and lies within the start grace; null otherwise.
 */
function freshStart(startedAt: string | null, target: ResolvedTarget, state: Pick<ServiceState, 'failing_since' | 'restarts'>, now: number): number | null {
  const started = startedAt ? Date.parse(startedAt) : NaN;
  const failing = state.failing_since ? Date.parse(state.failing_since) : NaN;
  if (!Number.isFinite(started) || !Number.isFinite(failing) || started <= failing) return null;
  const age = now - started;
  if (age < 0 || age >= target.startGraceMs) return null;
  // One of ours: the workload starts within its stop timeout (and a little) of auto-heal asking for the restart.
  const ours = state.restarts.some((r) => {
    const asked = Date.parse(r);
    return started >= asked && started <= asked + target.stopTimeoutMs + 30_000;
  });
  return ours ? null : age;
}
