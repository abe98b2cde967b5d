import type { CheckOutcome, Observation, TargetHealth } from '../types.js';

/**
 * One target's observation from its checks' outcomes. Pure: any liveness failure fails liveness (a draining or
 * inconclusive answer is neither pass nor failure); readiness only degrades.
 * @example combine([{ name: 'http', role: 'liveness', verdict: 'fail', ... }], Date.now()).liveness // 'fail'
 */
export function combine(checks: CheckOutcome[], at: number): Observation {
  const live = checks.filter((c) => c.role === 'liveness');
  const ready = checks.filter((c) => c.role === 'readiness');
  const some = (list: CheckOutcome[], verdict: CheckOutcome['verdict']) => list.some((c) => c.verdict === verdict);
  const liveness: Observation['liveness'] =
    live.length === 0 ? 'none' : some(live, 'fail') ? 'fail' : some(live, 'draining') ? 'draining' : some(live, 'unknown') ? 'unknown' : 'pass';
  const readiness: Observation['readiness'] = ready.length === 0 ? 'none' : ready.every((c) => c.verdict === 'pass') ? 'pass' : 'fail';
  const health: TargetHealth =
    liveness === 'fail' ? 'down'
    : liveness === 'draining' ? 'draining'
    : liveness === 'unknown' ? 'unknown'
    : readiness === 'fail' || checks.some((c) => c.health === 'degraded') ? 'degraded'
    : 'ok';
  const failure = live.find((c) => c.verdict !== 'pass') ?? checks.find((c) => c.verdict !== 'pass') ?? null;
  return { at, checks, liveness, readiness, health, allPass: checks.length > 0 && checks.every((c) => c.verdict === 'pass'), failure };
}
