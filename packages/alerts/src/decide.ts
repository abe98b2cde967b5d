import type { AlertNotification } from './notification.js';
import type { AlertRule, AlertRuleSnapshot, AlertState, AlertStatus, PendingNotice } from './types.js';

// The pure part of evaluation: from a rule, an alert's stored state and its count now, the next state and the
// notices it owes. No clock, no store, no I/O; the evaluator (evaluator.ts) reads, calls this, and writes.

/** What the decider knows beyond the rule, the state and the count. */
export interface DecideContext {
  now: number;
  /** The silence holding this alert back now, or null. */
  silence: string | null;
  /** Re-notify a still-firing alert this often (the rule's own interval, or the evaluator's default). */
  repeatMs: number;
  /** How long a resolved alert's document is kept before it is removed. */
  retentionMs: number;
  /** Who queues the notices (the evaluator's owner id). */
  owner: string;
}

/** One alert as the decider sees it: its document id, labels and count now. */
export interface AlertObservation {
  /** The `alert_states` document id (rule id + group hash); episode ids derive from it. */
  alertId: string;
  ruleId: string;
  groupKey: string;
  labels: Record<string, string>;
  count: number;
}

/** The next state of an alert. */
export interface AlertDecision {
  /** The document to write, or null to remove it (or to create none). */
  next: AlertState | null;
  /** False: nothing to write. */
  changed: boolean;
  transitions: { from: AlertStatus; to: AlertStatus }[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const since = (value: string | null, now: number) => (value === null ? 0 : now - Date.parse(value));

/**
 * Decides one alert: inactive → pending (for `for_seconds`) → firing → resolved (after `keep_firing_for_seconds`
 * below threshold). Entering firing queues one `ops.alert.raised` and, unless silenced, one firing notice; a
 * still-firing alert is re-notified once per repeat interval, and a silenced one is notified when its silence ends;
 * resolving queues `ops.alert.resolved` and, when the firing was notified, a resolved notice. A null `rule`
 * (removed, disabled, unreadable) counts as below threshold with no keep_firing_for.
 * @example const { next, changed } = decideAlert(rule, state, { alertId, ruleId: rule.id, groupKey: '{}', labels: {}, count: 7 }, ctx)
 */
export function decideAlert(rule: AlertRule | null, state: AlertState | null, seen: AlertObservation, ctx: DecideContext): AlertDecision {
  const { now } = ctx;
  const over = rule !== null && seen.count >= rule.threshold;
  const transitions: AlertDecision['transitions'] = [];
  const unchanged: AlertDecision = { next: state, changed: false, transitions };
  let s: AlertState;
  let changed = false;

  if (state === null || state.status === 'resolved') {
    if (!over) {
      const expired = state !== null && state.outbox.length === 0 && since(state.resolved_at, now) >= ctx.retentionMs;
      return expired ? { next: null, changed: true, transitions } : unchanged;
    }
    s = {
      rule_id: seen.ruleId,
      group_key: seen.groupKey,
      group: seen.labels,
      status: 'pending',
      rule: snapshot(rule),
      count: seen.count,
      active_since: iso(now),
      firing_since: null,
      below_since: null,
      resolved_at: null,
      episode_id: null,
      last_notified_at: null,
      notifications: 0,
      silenced_by: null,
      evaluated_at: iso(now),
      outbox: [...(state?.outbox ?? [])],
    };
    transitions.push({ from: state?.status ?? 'inactive', to: 'pending' });
    changed = true;
  } else {
    s = { ...state, outbox: [...state.outbox] };
  }
  // The copy is written only when something changed; it carries the rule as it is now into any notice.
  if (rule) s.rule = snapshot(rule);
  s.count = seen.count;
  s.evaluated_at = iso(now);

  if (s.status === 'pending') {
    if (rule === null || !over) {
      transitions.push({ from: 'pending', to: 'inactive' });
      return { next: null, changed: true, transitions };
    }
    if (since(s.active_since, now) < rule.for_seconds * 1000) return changed ? { next: s, changed, transitions } : unchanged;
    s.status = 'firing';
    s.firing_since = iso(now);
    s.episode_id = `${seen.alertId}~${now.toString(36)}`;
    transitions.push({ from: 'pending', to: 'firing' });
    queue(s, ctx, { publish: 'ops.alert.raised', kind: 'firing' });
    return { next: s, changed: true, transitions };
  }

  // Firing.
  if (over) {
    if (s.below_since !== null) {
      s.below_since = null;
      changed = true;
    }
  } else {
    if (s.below_since === null) {
      s.below_since = iso(now);
      changed = true;
    }
    const keepMs = rule === null ? 0 : rule.keep_firing_for_seconds * 1000;
    if (since(s.below_since, now) >= keepMs) {
      s.status = 'resolved';
      s.resolved_at = iso(now);
      s.below_since = null;
      transitions.push({ from: 'firing', to: 'resolved' });
      queue(s, ctx, { publish: 'ops.alert.resolved', kind: 'resolved' });
      return { next: s, changed: true, transitions };
    }
  }
  if (ctx.silence === null && (s.last_notified_at === null || since(s.last_notified_at, now) >= ctx.repeatMs)) {
    queue(s, ctx, { publish: null, kind: s.last_notified_at === null ? 'firing' : 'repeat' });
    changed = true;
  }
  return changed ? { next: s, changed, transitions } : unchanged;
}

/** The part of a rule an alert keeps for its notices. */
export function snapshot(rule: Pick<AlertRule, 'name' | 'severity' | 'tenant' | 'threshold' | 'window_seconds'>): AlertRuleSnapshot {
  return { name: rule.name, severity: rule.severity, tenant: rule.tenant, threshold: rule.threshold, window_seconds: rule.window_seconds };
}

/** Queues the notice an edge owes: the event to publish, and the notification unless a silence holds it back. */
function queue(s: AlertState, ctx: DecideContext, what: { publish: PendingNotice['publish']; kind: 'firing' | 'repeat' | 'resolved' }): void {
  const resolved = what.kind === 'resolved';
  // A resolved notice goes to whoever was told about the firing, silence or not; firing notices obey silences.
  const notify = resolved ? s.last_notified_at !== null : ctx.silence === null;
  const suffix = what.kind === 'repeat' ? `repeat-${s.notifications}` : what.kind;
  const notification: AlertNotification & { notification_id: string } = {
    status: resolved ? 'resolved' : 'firing',
    episode_id: s.episode_id!,
    notification_id: `${s.episode_id}:${suffix}`,
    rule: { id: s.rule_id, name: s.rule.name, severity: s.rule.severity, tenant: s.rule.tenant ?? s.group.tenant ?? null },
    group: s.group,
    count: s.count,
    threshold: s.rule.threshold,
    window_seconds: s.rule.window_seconds,
    started_at: s.firing_since!,
    ended_at: s.resolved_at,
    event_id: null,
    summary: '',
  };
  notification.summary = summaryOf(notification);
  s.outbox.push({ publish: what.publish, notify, notification, queued_at: iso(ctx.now), queued_by: ctx.owner });
  if (notify) {
    s.notifications++;
    if (!resolved) s.last_notified_at = iso(ctx.now);
    s.silenced_by = null;
  } else if (!resolved) {
    s.silenced_by = ctx.silence;
  }
}

/**
 * One line for people about a notice: "billing-errors: 12 matching events in 300 s (threshold 5)".
 * @example summaryOf(notification)
 */
export function summaryOf(n: Pick<AlertNotification, 'status' | 'rule' | 'group' | 'count' | 'threshold' | 'window_seconds'>): string {
  const labels = Object.entries(n.group).map(([k, v]) => `${k}=${v}`).join(', ');
  const what = `${n.rule.name}${labels ? ` {${labels}}` : ''}`;
  const counted = `${n.count} matching event${n.count === 1 ? '' : 's'} in ${n.window_seconds} s (threshold ${n.threshold})`;
  return n.status === 'resolved' ? `${what} resolved: ${counted}` : `${what}: ${counted}`;
}
