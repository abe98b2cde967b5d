import type { HealRecord } from '@aetherlink/core';
import { changeRate, within } from './rules.js';
import type { Decision, EngineDoc, OperatorWindow, Quarantine, ServiceState, SettingsDoc } from './state.js';
import type { CheckRole, HealPolicy, Observation, ResolvedTarget, TargetHealth, TargetSource } from './types.js';

/** `GET /autoheal/status` (the seed's keys first). */
export interface StatusView {
  enabled: boolean;
  runtime: string;
  interval_seconds: number;
  last_check: string | null;
  dry_run: boolean;
  fleet_guard: EngineDoc['fleet_guard'];
  services: { name: string; status: TargetHealth; state: ServiceState['state']; source: TargetSource; reason: Decision['reason']; since: string }[];
}

/** `GET /autoheal/services/{name}`: what the engine thinks of one service, and why it did or did not act. */
export interface ServiceWhy {
  name: string;
  active: boolean;
  source: TargetSource;
  runtime_id: string;
  depends_on: string[];
  status: TargetHealth;
  state: ServiceState['state'];
  decision: Decision;
  last_round: string | null;
  checks: { name: string; kind: string; role: CheckRole; verdict: string | null; status_code: number | null; latency_ms: number | null; error: string | null }[];
  thresholds: { failure: number; success: number };
  consecutive_failures: number;
  consecutive_successes: number;
  failing_since: string | null;
  healthy_since: string | null;
  grace_until: string | null;
  flapping: { flapping: boolean; change_rate: number; window: number; results: string };
  backoff: { attempt: number; next_delay_ms: number; next_restart_at: string | null };
  budget: { used: number; limit: number; window_seconds: number };
  quarantine: Quarantine | null;
  heal: ServiceState['heal'];
  windows: (OperatorWindow & { id: string })[];
  last_heal: HealRecord | null;
}

/**
 * The status view from the stored states (so any instance answers alike).
 * @example statusView(states, engine, settings, policy, 'docker', true)
 */
export function statusView(states: readonly ServiceState[], engine: EngineDoc | null, settings: SettingsDoc | null, policy: HealPolicy, runtime: string, enabled: boolean): StatusView {
  return {
    enabled,
    runtime,
    interval_seconds: policy.intervalMs / 1000,
    last_check: engine?.last_round_at ?? null,
    dry_run: policy.dryRun || (settings?.dry_run ?? false),
    fleet_guard: engine?.fleet_guard ?? null,
    services: states
      .filter((s) => s.active)
      .sort((a, b) => a.service.localeCompare(b.service))
      .map((s) => ({ name: s.service, status: s.status, state: s.state, source: s.source, reason: s.decision.reason, since: s.decision.since })),
  };
}

/**
 * One service's "why" from its stored state, the live target (thresholds) and this instance's last observation
 * (latencies), when it has them.
 * @example serviceWhy(state, { target, observation, windows, lastHeal, engine, policy, now })
 */
export function serviceWhy(
  s: ServiceState,
  ctx: { target: ResolvedTarget | undefined; observation: Observation | undefined; windows: (OperatorWindow & { id: string })[]; lastHeal: HealRecord | null; engine: EngineDoc | null; policy: HealPolicy; now: number },
): ServiceWhy {
  const { policy } = ctx;
  const seen = new Map((ctx.observation?.checks ?? []).map((c) => [c.name, c]));
  return {
    name: s.service,
    active: s.active,
    source: s.source,
    runtime_id: s.runtime_id,
    depends_on: s.depends_on,
    status: s.status,
    state: s.state,
    decision: s.decision,
    last_round: ctx.engine?.last_round_at ?? null,
    checks: s.checks.map((c) => {
      const o = seen.get(c.name);
      return { ...c, verdict: o?.verdict ?? null, status_code: o?.status_code ?? null, latency_ms: o?.latency_ms ?? null, error: o?.error ?? null };
    }),
    thresholds: { failure: ctx.target?.failureThreshold ?? policy.failureThreshold, success: ctx.target?.successThreshold ?? policy.successThreshold },
    consecutive_failures: s.consecutive_failures,
    consecutive_successes: s.consecutive_successes,
    failing_since: s.failing_since,
    healthy_since: s.healthy_since,
    grace_until: s.grace_until,
    flapping: { flapping: s.flapping, change_rate: Math.round(changeRate(s.results, policy.flapping.window) * 1000) / 1000, window: policy.flapping.window, results: s.results },
    backoff: { attempt: s.attempt, next_delay_ms: s.next_delay_ms, next_restart_at: s.next_restart_at },
    budget: { used: within(s.restarts, ctx.now, policy.budget.windowMs).length, limit: policy.budget.restarts, window_seconds: policy.budget.windowMs / 1000 },
    quarantine: s.quarantine,
    heal: s.heal,
    windows: ctx.windows.filter((w) => w.service === s.service || w.service === '*'),
    last_heal: ctx.lastHeal,
  };
}
