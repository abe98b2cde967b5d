import { changeRate, human, isFlapping, iso, msOf, pushResult, within } from './rules.js';
import type { Decision, OperatorWindow, Reason, ServiceState } from './state.js';
import type { HealPolicy, Observation, ResolvedTarget } from './types.js';
import { verifyStep } from './transitions.js';

/** What a round knows about one service besides its checks. */
export interface EvaluateContext {
  now: number;
  target: ResolvedTarget;
  policy: HealPolicy;
  /** The maintenance window in force for it (the registry's maintenance counts), or null. */
  maintenance: OperatorWindow | null;
  silence: OperatorWindow | null;
  /** Its dependencies that are down this round (already evaluated). */
  dependenciesDown: string[];
  dryRun: boolean;
  hasRuntime: boolean;
  /** A heal of this service runs in this process: the round leaves it to that task. */
  healLocal: boolean;
}

/** What the acting part should do after an evaluation. */
export type Effect =
  | { type: 'restart_due'; attempt: number; delay_ms: number; message: string }
  | { type: 'skip'; reason: Reason; message: string; attempt: number | null; delay_ms: number | null }
  | { type: 'quarantined'; reason: 'budget' | 'flapping'; restarts: number; message: string }
  | { type: 'released'; by: 'healthy' }
  | { type: 'heal_finished'; outcome: 'succeeded' | 'failed'; error: string | null };

export interface Evaluation {
  state: ServiceState;
  effects: Effect[];
}

/**
 * Sets the decision, keeping `since` when nothing about it changed.
 * @example decide(state, 'skip', 'backoff', 'next restart at …', until, now)
 */
export function decide(s: ServiceState, action: Decision['action'], reason: Reason, message: string, until: string | null, now: number): void {
  const d = s.decision;
  const same = d.action === action && d.reason === reason && d.message === message && d.until === until;
  s.decision = same ? d : { action, reason, message, since: iso(now), until };
}

const windowText = (w: OperatorWindow) => `${w.kind} by ${w.by}${w.reason ? `: ${w.reason}` : ''}${w.ends_at ? ` (until ${w.ends_at})` : ''}`;
const failureText = (obs: Observation) => (obs.failure ? `${obs.failure.name}: ${obs.failure.error ?? obs.failure.verdict}` : 'no answer');

/**
 * One service, one round: folds the checks' verdict into its state (thresholds, grace, flapping, backoff reset,
 * quarantine release, verification of a heal another leader began) and decides whether a restart is due and
 * why not. Pure; the caps and the fleet guard are `planRound`'s, the runtime's veto the acting part's.
 * @example const { state, effects } = evaluate(state, observation, context)
 */
export function evaluate(prev: ServiceState, obs: Observation, ctx: EvaluateContext): Evaluation {
  const { now, target, policy } = ctx;
  const s: ServiceState = {
    ...prev,
    active: true,
    source: target.source,
    runtime_id: target.runtimeId,
    depends_on: [...target.dependsOn],
    checks: target.checks.map((c) => ({ name: c.name, kind: c.kind, role: c.role })),
    status: obs.health,
    last: lastOf(obs),
  };
  const effects: Effect[] = [];

  const inMaintenance = ctx.maintenance !== null;
  if (prev.in_maintenance && !inMaintenance) {
    // Out of maintenance: start afresh, with the start grace.
    Object.assign(s, { consecutive_failures: 0, consecutive_successes: 0, failing_since: null, skipped: null, results: '' });
    s.grace_until = target.startGraceMs > 0 ? iso(now + target.startGraceMs) : null;
  }
  s.in_maintenance = inMaintenance;

  if (s.heal) {
    if (ctx.healLocal) {
      decide(s, 'none', 'healing', `a restart is in progress (attempt ${s.heal.attempt})`, s.heal.deadline, now);
      return { state: s, effects };
    }
    return verifyStep(s, obs, ctx);
  }

  if (!inMaintenance && (obs.liveness === 'pass' || obs.liveness === 'fail')) {
    s.results = pushResult(s.results, obs.liveness === 'pass', policy.flapping.window);
    s.flapping = isFlapping(prev.flapping, changeRate(s.results, policy.flapping.window), policy.flapping);
  }
  if (s.flapping && !prev.flapping && !s.quarantine) {
    const message = `liveness changed state ${Math.round(changeRate(s.results, policy.flapping.window) * 100)} % of the last ${policy.flapping.window} rounds`;
    s.quarantine = { since: iso(now), reason: 'flapping', by: null, message };
    effects.push({ type: 'quarantined', reason: 'flapping', restarts: within(s.restarts, now, policy.budget.windowMs).length, message });
  }

  if (obs.liveness === 'pass') onPass(s, obs, ctx, effects);
  else if (obs.liveness === 'fail') onFail(prev, s, obs, ctx, effects);
  else {
    const [reason, message]: [Reason, string] =
      obs.liveness === 'draining' ? ['draining', 'the service answers that it is shutting down; that is not a failure']
      : obs.liveness === 'none' ? ['no_liveness_check', 'it has no liveness check, so it is never restarted']
      : ['inconclusive', `the checks could not tell: ${failureText(obs)}`];
    if (obs.liveness === 'draining') s.state = 'draining';
    else if (obs.liveness === 'none') s.state = 'healthy';
    decide(s, 'none', reason, message, null, now);
  }
  if (inMaintenance && !s.heal) s.state = 'maintenance';
  return { state: s, effects };
}

function onPass(s: ServiceState, obs: Observation, ctx: EvaluateContext, effects: Effect[]): void {
  const { now, target, policy } = ctx;
  s.consecutive_failures = 0;
  s.consecutive_successes = Math.min(s.consecutive_successes + 1, target.successThreshold);
  s.grace_until = null;
  s.blocked_by = [];
  const wasDown = s.state === 'failing' || s.state === 'unhealthy' || s.state === 'recovering' || s.state === 'stopped';
  if (wasDown && s.consecutive_successes < target.successThreshold) {
    s.state = 'recovering';
    decide(s, 'none', 'recovering', `passed ${s.consecutive_successes} of the ${target.successThreshold} times in a row it needs`, null, now);
    return;
  }
  s.state = 'healthy';
  s.healthy_since ??= iso(now);
  s.failing_since = null;
  s.skipped = null;
  const healthyFor = now - msOf(s.healthy_since)!;
  if (s.attempt > 0 && healthyFor >= policy.backoff.resetAfterMs) Object.assign(s, { attempt: 0, next_delay_ms: 0, next_restart_at: null });
  if (s.quarantine && s.quarantine.reason !== 'operator' && !s.flapping && healthyFor >= policy.releaseAfterMs) {
    s.quarantine = null;
    Object.assign(s, { restarts: [], attempt: 0, next_delay_ms: 0, next_restart_at: null });
    effects.push({ type: 'released', by: 'healthy' });
    decide(s, 'release', 'released', `healthy for ${human(healthyFor)}: back under auto-heal`, null, now);
    return;
  }
  if (s.quarantine) {
    s.state = 'quarantined';
    const until = s.quarantine.reason === 'operator' || s.flapping ? null : iso(msOf(s.healthy_since)! + policy.releaseAfterMs);
    decide(s, 'none', 'quarantined', `quarantined (${s.quarantine.reason}): ${s.quarantine.message}`, until, now);
  } else if (obs.readiness === 'fail') {
    decide(s, 'none', 'readiness_only', `readiness fails (${failureText(obs)}); only liveness failures restart`, null, now);
  } else {
    decide(s, 'none', 'healthy', 'every liveness check passes', null, now);
  }
}

function onFail(prev: ServiceState, s: ServiceState, obs: Observation, ctx: EvaluateContext, effects: Effect[]): void {
  const { now, target, policy } = ctx;
  const graceUntil = msOf(s.grace_until);
  if (graceUntil !== null && now < graceUntil) {
    s.state = 'starting';
    decide(s, 'none', 'start_grace', `failures do not count during the start grace (${failureText(obs)})`, s.grace_until, now);
    return;
  }
  // Failures while a dependency was down were its fault: once it is back, this service starts counting afresh.
  if (prev.blocked_by.length > 0 && ctx.dependenciesDown.length === 0) Object.assign(s, { consecutive_failures: 0, blocked_by: [], skipped: null });
  s.consecutive_successes = 0;
  s.consecutive_failures++;
  s.failing_since ??= iso(obs.at);
  s.healthy_since = null;

  if (s.quarantine) {
    s.state = 'quarantined';
    decide(s, 'skip', 'quarantined', `quarantined (${s.quarantine.reason}): ${s.quarantine.message}; an operator can release it`, null, now);
    return;
  }
  if (s.consecutive_failures < target.failureThreshold) {
    s.state = 'failing';
    decide(s, 'none', 'threshold_not_reached', `liveness failed ${s.consecutive_failures} of the ${target.failureThreshold} times in a row a restart needs (${failureText(obs)})`, null, now);
    return;
  }
  s.state = 'unhealthy';
  const why = `liveness failed ${s.consecutive_failures === 1 ? 'once' : `${s.consecutive_failures} times in a row`} (${failureText(obs)})`;
  const skipOnce = (reason: Reason, message: string) => {
    decide(s, 'skip', reason, message, null, now);
    if (s.skipped === reason) return;
    s.skipped = reason;
    effects.push({ type: 'skip', reason, message, attempt: null, delay_ms: null });
  };
  if (ctx.maintenance) return skipOnce('maintenance', `${why}; not restarted: ${windowText(ctx.maintenance)}`);
  if (ctx.silence) return skipOnce('silenced', `${why}; not restarted: ${windowText(ctx.silence)}`);
  if (ctx.dependenciesDown.length > 0) {
    s.blocked_by = [...ctx.dependenciesDown];
    return skipOnce('dependency_down', `${why}; not restarted: it depends on ${ctx.dependenciesDown.join(', ')}, which ${ctx.dependenciesDown.length > 1 ? 'are' : 'is'} down and healed first`);
  }
  const next = msOf(s.next_restart_at);
  if (next !== null && now < next) {
    decide(s, 'skip', 'backoff', `${why}; backoff after ${s.attempt} restart${s.attempt === 1 ? '' : 's'}: next restart at ${s.next_restart_at}`, s.next_restart_at, now);
    return;
  }
  const used = within(s.restarts, now, policy.budget.windowMs);
  if (used.length >= policy.budget.restarts) {
    const message = `${used.length} restarts within ${human(policy.budget.windowMs)} used up the budget of ${policy.budget.restarts}`;
    s.quarantine = { since: iso(now), reason: 'budget', by: null, message };
    s.state = 'quarantined';
    effects.push({ type: 'quarantined', reason: 'budget', restarts: used.length, message });
    decide(s, 'quarantine', 'budget_spent', `${why}; ${message}: quarantined`, null, now);
    return;
  }
  if (!ctx.hasRuntime) return skipOnce('no_runtime', `${why}; no runtime is configured to restart it (monitoring only)`);
  if (ctx.dryRun) {
    // Recorded at the backoff's pace, as the restarts would have been.
    const attempt = s.attempt + 1;
    effects.push({ type: 'skip', reason: 'dry_run', message: `${why}; dry run: attempt ${attempt} would restart it now`, attempt, delay_ms: s.next_delay_ms });
    decide(s, 'skip', 'dry_run', `${why}; dry run: would restart it now (attempt ${attempt})`, null, now);
    return;
  }
  effects.push({ type: 'restart_due', attempt: s.attempt + 1, delay_ms: s.next_delay_ms, message: why });
  decide(s, 'restart', 'threshold_reached', `${why}: restart due (attempt ${s.attempt + 1})`, null, now);
}

function lastOf(obs: Observation): ServiceState['last'] {
  const c = obs.failure ?? obs.checks[0];
  // Latency changes every round: it stays out of the stored state, so a steady service costs no writes.
  return c ? { check: c.name, status_code: c.status_code, latency_ms: null, error: c.error } : null;
}
