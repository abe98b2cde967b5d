import type { RuntimeAdapter } from '@aetherlink/core';
import type { CheckOutcome, ResolvedCheck, RuntimeCheck } from '../types.js';

/**
 * The runtime's own view of the workload: running passes; exited, dead, stopped or unknown to the runtime fails;
 * starting, restarting, paused, or a runtime that cannot tell, is inconclusive.
 * @example await runRuntimeCheck(check, 'api-1', runtime)
 */
export async function runRuntimeCheck(check: ResolvedCheck & RuntimeCheck, runtimeId: string, runtime: RuntimeAdapter | null, signal?: AbortSignal): Promise<CheckOutcome> {
  const outcome = (verdict: CheckOutcome['verdict'], error: string | null): CheckOutcome => ({
    name: check.name, kind: 'runtime', role: check.role, verdict, health: verdict === 'pass' ? 'ok' : verdict === 'fail' ? 'down' : verdict, status_code: null, latency_ms: null, error,
  });
  if (!runtime) return outcome('unknown', 'no runtime to ask');
  try {
    const info = await runtime.inspect(runtimeId, { abort: AbortSignal.any([AbortSignal.timeout(check.timeoutMs), ...(signal ? [signal] : [])]) });
    switch (info.state) {
      case 'running':
        return outcome('pass', null);
      case 'exited':
      case 'dead':
        return outcome('fail', `${info.state}${info.exitCode === null ? '' : ` with code ${info.exitCode}`}`);
      case 'stopped':
        return outcome('fail', info.stoppedByOperator ? 'stopped by an operator' : 'stopped');
      case 'missing':
        return outcome('fail', `the ${runtime.kind} runtime knows no workload named "${runtimeId}"`);
      default:
        return outcome('unknown', `the workload is ${info.state}`);
    }
  } catch (error) {
    return outcome('unknown', `the ${runtime.kind} runtime could not tell: ${error instanceof Error ? error.message : String(error)}`);
  }
}
