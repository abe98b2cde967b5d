import { z } from 'zod';
import { defineCollection } from './collection.js';

// Alert rules were a store of their own; they are now a collection (the SQLite and PostgreSQL migrations copied
// the old `rules` rows into it, keeping ids). The alerts engine owns what `spec` and `state` mean.

/** An alert rule document: the store keeps `spec` and `state` as JSON and knows nothing of their meaning. */
export const alertRuleSchema = z.object({
  /** Unique among rules. */
  name: z.string().min(1).max(200),
  enabled: z.boolean(),
  /** What the rule matches and when it fires (event_type, severity, window_seconds, threshold, for, …). */
  spec: z.record(z.string(), z.unknown()),
  /** The evaluator's memory (pending/firing since, last notification); null until it first runs. */
  state: z.record(z.string(), z.unknown()).nullable(),
});

export type AlertRule = z.infer<typeof alertRuleSchema>;

/**
 * The `alert_rules` collection: names unique, filterable by `enabled`.
 * @example const rules = collection(stores.documents, alertRulesCollection); await rules.list({ where: { enabled: true } })
 */
export const alertRulesCollection = defineCollection({ name: 'alert_rules', schema: alertRuleSchema, indexes: ['enabled'], unique: ['name'] });
