import { collection, Counter, DURATION_BUCKETS, Gauge, Histogram, sharedMetric, type DocumentStore, type MetricsRegistry } from '@aetherlink/core';
import { alertStatesCollection } from './collections.js';

/** Where the rules half's figures go once registered. */
export interface RuleMetrics {
  notices?: Counter<'outcome'>;
  evaluation?: Histogram<never>;
}

/** Past this many rules, firing alerts of the rest are summed under `rule="(other)"`, so label sets stay bounded. */
export const MAX_RULE_LABELS = 200;

/**
 * Registers the rules half's metrics: alerts firing by rule (read from the shared store, so every instance answers
 * the same), notices by outcome, and evaluation duration.
 * @example registerRuleMetrics(registry, stores.documents, sink)
 */
export function registerRuleMetrics(metrics: MetricsRegistry, documents: DocumentStore, sink: RuleMetrics): void {
  const states = collection(documents, alertStatesCollection);
  sharedMetric(
    metrics,
    'aetherlink_alerts_firing',
    () =>
      new Gauge({
        name: 'aetherlink_alerts_firing',
        help: `Alerts firing now, by rule name (past ${MAX_RULE_LABELS} rules, the rest as "(other)")`,
        labelNames: ['rule'] as const,
        registers: [metrics],
        async collect() {
          const byRule = new Map<string, number>();
          for (const doc of await states.list({ where: { status: 'firing' } })) byRule.set(doc.data.rule.name, (byRule.get(doc.data.rule.name) ?? 0) + 1);
          this.reset();
          let other = 0;
          [...byRule.entries()]
            .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
            .forEach(([rule, n], i) => (i < MAX_RULE_LABELS ? this.set({ rule }, n) : (other += n)));
          if (other > 0) this.set({ rule: '(other)' }, other);
        },
      }),
  );
  sink.notices = sharedMetric(
    metrics,
    'aetherlink_alerts_notifications_total',
    () =>
      new Counter({
        name: 'aetherlink_alerts_notifications_total',
        help: 'Alert notices by outcome: sent (handed to the notifier), silenced, failed (retried next evaluation)',
        labelNames: ['outcome'] as const,
        registers: [metrics],
      }),
  );
  sink.evaluation = sharedMetric(
    metrics,
    'aetherlink_alerts_evaluation_duration_seconds',
    () =>
      new Histogram({
        name: 'aetherlink_alerts_evaluation_duration_seconds',
        help: 'How long one evaluation of every alert rule took',
        buckets: DURATION_BUCKETS,
        registers: [metrics],
      }),
  );
}
