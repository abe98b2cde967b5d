import type { HealRecord } from '@aetherlink/core';
import { decide, type EvaluateContext, type Evaluation } from './evaluate.js';
import { backoffDelay, human, iso, msOf, within } from './rules.js';
import type { Reason, ServiceState } from './state.js';
import type { HealPolicy, Observation, ResolvedTarget } from './types.js';

// Pure state changes of a heal and of operators' acts on a service. The acting part calls them inside
// compare-and-set updates, so each may run more than once on fresher state: they only compute.

/** A restart that came due and passed the caps. */
export interface DueRestart {
  attempt: number;
  delay_ms: number;
  message: string;
}

/**
 * A heal begins: the restart is counted against the budget and the backoff streak.
 * @example startHeal(state, due, healId, now, target, policy)
 */
export function startHeal(prev: ServiceState, due: DueRestart, id: string, now: number, target: ResolvedTarget, policy: HealPolicy): ServiceState {
  const s = { ...prev };
  s.heal = {
    id,
    phase: 'restarting',
    reason: 'threshold_reached',
    message: due.message,
    probe: prev.last,
    attempt: due.attempt,
    delay_ms: due.delay_ms,
    detected_at: prev.failing_since,
    started_at: iso(now),
    restarted_at: null,
    // Generous until the restart returns; a leader taking over without its task judges by it.
    deadline: iso(now + target.stopTimeoutMs + policy.verifyWindowMs),
    passes: 0,
  };
  s.restarts = [...within(prev.restarts, now, policy.budget.windowMs), iso(now)];
  s.attempt = due.attempt;
  s.skipped = null;
  s.state = 'restarting';
  decide(s, 'restart', 'healing', `restarting (attempt ${due.attempt}): ${due.message}`, null, now);
  return s;
}

/**
 * The runtime started the workload again: verification begins, with its window.
 * @example markRestarted(state, heal.id, now, policy)
 */
export function markRestarted(prev: ServiceState, id: string, now: number, policy: HealPolicy): ServiceState | null {
  if (prev.heal?.id !== id) return null;
  const deadline = iso(now + policy.verifyWindowMs);
  const s: ServiceState = { ...prev, heal: { ...prev.heal, phase: 'verifying', restarted_at: iso(now), deadline, passes: 0 }, state: 'verifying' };
  decide(s, 'none', 'verifying', `restarted; it counts as healed once its checks pass (by ${deadline})`, deadline, now);
  return s;
}

/** A verification probe's result applied to the heal in progress; `finished` once it is decided. */
export function verifyProbe(prev: ServiceState, id: string, obs: Observation, now: number, target: ResolvedTarget): { state: ServiceState; finished: 'succeeded' | 'failed' | null; error: string | null } | null {
  const heal = prev.heal;
  if (heal?.id !== id) return null;
  const passes = obs.allPass ? heal.passes + 1 : 0;
  if (passes >= target.successThreshold) return { state: prev, finished: 'succeeded', error: null };
  const deadline = msOf(heal.deadline)!;
  if (now >= deadline) {
    const seen = obs.failure ? `${obs.failure.name}: ${obs.failure.error ?? obs.failure.verdict}` : 'no check passed';
    return { state: prev, finished: 'failed', error: `its checks did not pass by ${heal.deadline}, the end of the verify window (${seen})` };
  }
  const s: ServiceState = { ...prev, status: obs.health, heal: { ...heal, passes }, state: 'verifying' };
  decide(s, 'none', 'verifying', `restarted; verifying (${passes} of ${target.successThreshold} passes)`, heal.deadline, now);
  return { state: s, finished: null, error: null };
}

/** A round's verification of a heal that no task of this process owns (another leader began it). */
export function verifyStep(s: ServiceState, obs: Observation, ctx: EvaluateContext): Evaluation {
  const step = verifyProbe(s, s.heal!.id, obs, ctx.now, ctx.target)!;
  return { state: step.state, effects: step.finished ? [{ type: 'heal_finished', outcome: step.finished, error: step.error }] : [] };
}

/**
 * The heal's outcome: the state after it, and its history record (null when the heal is no longer this one).
 * The backoff before the next restart starts now.
 * @example const done = finishHeal(state, heal.id, 'succeeded', null, now, target, policy, Math.random)
 */
export function finishHeal(
  prev: ServiceState,
  id: string,
  outcome: 'succeeded' | 'failed',
  error: string | null,
  now: number,
  target: ResolvedTarget,
  policy: HealPolicy,
  random: () => number,
): { state: ServiceState; record: HealRecord } | null {
  const heal = prev.heal;
  if (heal?.id !== id) return null;
  const delay = backoffDelay(prev.attempt, policy.backoff, random);
  const s: ServiceState = { ...prev, heal: null, next_delay_ms: delay, next_restart_at: iso(now + delay) };
  const duration = now - Date.parse(heal.started_at);
  if (outcome === 'succeeded') {
    Object.assign(s, {
      state: 'healthy', status: 'ok', consecutive_failures: 0, consecutive_successes: target.successThreshold,
      healthy_since: iso(now), failing_since: null, skipped: null, grace_until: null, blocked_by: [],
    } satisfies Partial<ServiceState>);
    decide(s, 'none', 'healed', `restarted and verified: its checks passed ${human(duration)} after the restart began`, null, now);
  } else {
    Object.assign(s, { state: 'unhealthy', consecutive_successes: 0, consecutive_failures: Math.max(prev.consecutive_failures, target.failureThreshold) });
    const reason: Reason = heal.restarted_at ? 'not_verified' : 'restart_failed';
    decide(s, 'skip', reason, `attempt ${heal.attempt} failed: ${error ?? 'unknown error'}; next restart not before ${s.next_restart_at}`, s.next_restart_at, now);
  }
  const record: HealRecord = {
    id: heal.id,
    ts: iso(now),
    service: prev.service,
    action: 'restart',
    outcome,
    reason: heal.reason,
    message: outcome === 'succeeded' ? `restarted and verified in ${human(duration)}: ${heal.message}` : `restart did not heal it: ${heal.message}`,
    probe: heal.probe,
    attempt: heal.attempt,
    delay_ms: heal.delay_ms,
    detected_at: heal.detected_at,
    started_at: heal.started_at,
    duration_ms: duration,
    error: outcome === 'succeeded' ? null : error,
  };
  return { state: s, record };
}

/** In a dry run the backoff moves on as if the restart had happened, so skips are recorded at its pace. */
export function dryRunAdvance(prev: ServiceState, now: number, policy: HealPolicy, random: () => number): ServiceState {
  const attempt = prev.attempt + 1;
  const delay = backoffDelay(attempt, policy.backoff, random);
  return { ...prev, attempt, next_delay_ms: delay, next_restart_at: iso(now + delay) };
}

/**
 * A due restart held back this round (fleet guard, caps, or the runtime's veto): the decision says why; `record`
 * is true the first time this failure streak meets this reason (the skip goes to history once).
 * @example const { state, record } = holdBack(state, 'manual_stop', 'stopped by an operator', now, true)
 */
export function holdBack(prev: ServiceState, reason: Reason, message: string, now: number, recordOnce: boolean): { state: ServiceState; record: boolean } {
  const s: ServiceState = { ...prev, state: reason === 'manual_stop' ? 'stopped' : prev.state === 'restarting' ? 'unhealthy' : prev.state };
  decide(s, 'skip', reason, message, null, now);
  if (!recordOnce || prev.skipped === reason) return { state: s, record: false };
  return { state: { ...s, skipped: reason }, record: true };
}

/**
 * An operator quarantines a service: no restarts until an operator releases it.
 * @example quarantineByOperator(state, 'alice', 'investigating a memory leak', now)
 */
export function quarantineByOperator(prev: ServiceState, by: string, reason: string, now: number): ServiceState {
  const s: ServiceState = { ...prev, quarantine: { since: iso(now), reason: 'operator', by, message: reason || 'quarantined by an operator' } };
  decide(s, 'quarantine', 'quarantined', `quarantined by ${by}${reason ? `: ${reason}` : ''}`, null, now);
  return s;
}

/**
 * An operator releases a quarantined service: its budget and backoff start over, and failures count afresh.
 * @example releaseByOperator(state, 'alice', now)
 */
export function releaseByOperator(prev: ServiceState, by: string, now: number): ServiceState {
  const s: ServiceState = {
    ...prev,
    quarantine: null,
    restarts: [],
    attempt: 0,
    next_delay_ms: 0,
    next_restart_at: null,
    consecutive_failures: 0,
    skipped: null,
    flapping: false,
    results: '',
  };
  if (s.state === 'quarantined') s.state = 'unknown';
  decide(s, 'release', 'released', `released by ${by}: back under auto-heal`, null, now);
  return s;
}
