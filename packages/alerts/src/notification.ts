import type { Severity } from '@aetherlink/core';

/**
 * One thing to tell people about an alert: an episode began (`firing`) or ended (`resolved`). The evaluator makes
 * these; the notifier turns each into one delivery per matching endpoint, rendered by that endpoint's channel.
 * It is the seam between the rules half of this package and the delivery half.
 */
export interface AlertNotification {
  status: 'firing' | 'resolved';
  /** Rule + group + episode start: the same for the firing and the resolved notice of one episode. */
  episode_id: string;
  /**
   * This notice's own id, stable when it is handed over again after a failure (`<episode>:firing`,
   * `<episode>:repeat-<n>`, `<episode>:resolved`): a key to deliver each notice once. The evaluator always sets it.
   */
  notification_id?: string;
  rule: { id: string; name: string; severity: Severity; tenant: string | null };
  /** The `group_by` labels of this alert, e.g. `{ source: 'billing' }`; empty when the rule is not grouped. */
  group: Record<string, string>;
  /** Matching events in the window when it was decided, and the rule's bounds. */
  count: number;
  threshold: number;
  window_seconds: number;
  /** ISO times: when the episode started firing, and when it resolved (resolved notices only). */
  started_at: string;
  ended_at: string | null;
  /** The `ops.alert.raised` / `ops.alert.resolved` event this notice goes with, when it was published. */
  event_id: string | null;
  /** One line for people: "billing-errors: 12 matching events in 300 s (threshold 5)". */
  summary: string;
}

/** Where notifications go: the delivery half implements it (enqueue one durable delivery per endpoint). */
export interface Notifier {
  /** Resolves once every delivery is durably enqueued; the count enqueued (0 when no endpoint matched). */
  notify(notification: AlertNotification): Promise<{ enqueued: number }>;
}
