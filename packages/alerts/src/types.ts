import type { Severity } from '@aetherlink/core';
import type { AlertNotification } from './notification.js';

// Interfaces only. Times in documents and answers are ISO 8601 strings; the deciders work in epoch ms.

/** What a rule matches and when it fires: everything of a rule but its identity and `enabled`. */
export interface AlertRuleSpec {
  /** The severity of the alert (and of its `ops.alert.raised` event). */
  severity: Severity;
  /** An exact event type, or a prefix such as `autoheal.*`; null matches every type. */
  event_type: string | null;
  source: string | null;
  /** Only this tenant's events; null: every tenant's. */
  tenant: string | null;
  window_seconds: number;
  /** Fires when at least this many matching events fall in the window. */
  threshold: number;
  /** How long the condition must hold before pending becomes firing. */
  for_seconds: number;
  /** How long a firing alert keeps firing after the condition stops holding. */
  keep_firing_for_seconds: number;
  /** Re-notify a still-firing alert this often; null: the evaluator's default (4 h). */
  repeat_interval_seconds: number | null;
  /** Labels that split the rule into one alert each: `source`, `tenant`, `event_type`, `severity`, `subject`, `data.<path>`. */
  group_by: string[];
  description: string | null;
}

/** A rule as the API answers it. */
export interface AlertRule extends AlertRuleSpec {
  id: string;
  name: string;
  enabled: boolean;
  version: number;
  created_at: string;
  updated_at: string;
  /** Set when the stored rule cannot be read as a rule (e.g. migrated from an older shape); it is never evaluated. */
  problem?: string;
}

/** Where an alert stands. `inactive` alerts have no document. */
export type AlertStatus = 'inactive' | 'pending' | 'firing' | 'resolved';

/** The part of the rule an alert keeps, so its notices still read right after the rule is edited or removed. */
export interface AlertRuleSnapshot {
  name: string;
  severity: Severity;
  tenant: string | null;
  threshold: number;
  window_seconds: number;
}

/** A notice decided but not yet published and handed to the notifier (an outbox entry). */
export interface PendingNotice {
  /** `ops.alert.raised` / `ops.alert.resolved` to publish with it; null for a repeat. */
  publish: 'ops.alert.raised' | 'ops.alert.resolved' | null;
  /** False when a silence holds it back: recorded (and published) but not notified. */
  notify: boolean;
  notification: AlertNotification & { notification_id: string };
  queued_at: string;
  /** The evaluator that queued it; others take it over once it is older than their grace period. */
  queued_by: string;
}

/** One alert: a rule and one group of its `group_by` labels (`alert_states` document). */
export interface AlertState {
  rule_id: string;
  /** Canonical JSON of `group`. */
  group_key: string;
  group: Record<string, string>;
  status: Exclude<AlertStatus, 'inactive'>;
  rule: AlertRuleSnapshot;
  /** Matching events in the window at the last write. */
  count: number;
  /** When the condition started holding (the pending start). */
  active_since: string | null;
  /** When the current (or last) episode started firing. */
  firing_since: string | null;
  /** While firing: when the condition stopped holding (keep_firing_for counts from here). */
  below_since: string | null;
  resolved_at: string | null;
  episode_id: string | null;
  /** The last firing notice handed to the notifier in this episode; null when none was (e.g. silenced). */
  last_notified_at: string | null;
  /** Notices handed to the notifier in this episode (firing, repeats, resolved). */
  notifications: number;
  /** The silence that held back this episode's last notice. */
  silenced_by: string | null;
  evaluated_at: string;
  outbox: PendingNotice[];
}

/** A state change of one alert. */
export interface AlertTransition {
  rule_id: string;
  rule_name: string;
  group: Record<string, string>;
  from: AlertStatus;
  to: AlertStatus;
  at: string;
}

/** Days of the week for recurring mute windows. */
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** A mute window that comes back: on these weekdays, between these local times, in this time zone. */
export interface RecurringWindow {
  /** Empty: every day. */
  weekdays: Weekday[];
  /** `HH:MM` ranges, end exclusive; an end before the start runs past midnight. Empty: the whole day. */
  times: { start: string; end: string }[];
  /** IANA time zone. Default UTC. */
  timezone: string;
}

/** Which alerts a silence holds back: every given field must equal the alert's. */
export interface SilenceMatchers {
  /** A rule id or name. */
  rule?: string;
  source?: string;
  tenant?: string;
  severity?: Severity;
}

/** A silence (`alert_silences` document). */
export interface Silence {
  matchers: SilenceMatchers;
  starts_at: string;
  /** Null only for a recurring silence without an end. */
  ends_at: string | null;
  recurring: RecurringWindow | null;
  comment: string | null;
  created_by: string | null;
}

/** A rule template: a named, described rule to materialize, global or for one tenant. */
export interface AlertTemplate {
  id: string;
  name: string;
  description: string;
  /** Null: offered to every tenant (and to rules without one). */
  tenant: string | null;
  rule: Omit<AlertRuleSpec, 'tenant' | 'description'> & { enabled?: boolean };
}
