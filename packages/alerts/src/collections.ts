import { alertRulesCollection, defineCollection, severitySchema, type StoredDocument, type AlertRule as StoredRule } from '@aetherlink/core';
import { z } from 'zod';
import { ruleSpecSchema } from './schemas.js';
import type { AlertRule, AlertState, Silence } from './types.js';

// Rules, alert states and silences each live in their own collection, so a rule edit and a state write never
// conflict. Rules keep core's `alert_rules` shape `{ name, enabled, spec, state }` (rows migrated from the old rules
// table read the same way); `state` stays null: alert state is in `alert_states`, one document per rule and group.

export { alertRulesCollection };

const notificationSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  episode_id: z.string(),
  notification_id: z.string(),
  rule: z.looseObject({ id: z.string(), name: z.string(), severity: severitySchema, tenant: z.string().nullable() }),
  group: z.record(z.string(), z.string()),
  count: z.number(),
  threshold: z.number(),
  window_seconds: z.number(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  event_id: z.string().nullable(),
  summary: z.string(),
});

const alertStateSchema = z.object({
  rule_id: z.string(),
  group_key: z.string(),
  group: z.record(z.string(), z.string()),
  status: z.enum(['pending', 'firing', 'resolved']),
  rule: z.object({ name: z.string(), severity: severitySchema, tenant: z.string().nullable(), threshold: z.number(), window_seconds: z.number() }),
  count: z.number(),
  active_since: z.string().nullable(),
  firing_since: z.string().nullable(),
  below_since: z.string().nullable(),
  resolved_at: z.string().nullable(),
  episode_id: z.string().nullable(),
  last_notified_at: z.string().nullable(),
  notifications: z.number().int(),
  silenced_by: z.string().nullable(),
  evaluated_at: z.string(),
  outbox: z.array(
    z.object({
      publish: z.enum(['ops.alert.raised', 'ops.alert.resolved']).nullable(),
      notify: z.boolean(),
      notification: notificationSchema,
      queued_at: z.string(),
      queued_by: z.string(),
    }),
  ),
}) as z.ZodType<AlertState>;

/**
 * The `alert_states` collection: one document per rule and group, id `<rule id>~<group hash>`.
 * @example const states = collection(stores.documents, alertStatesCollection); await states.list({ where: { status: 'firing' } })
 */
export const alertStatesCollection = defineCollection<AlertState>({ name: 'alert_states', schema: alertStateSchema, indexes: ['rule_id', 'status'] });

const silenceSchema = z.object({
  matchers: z.object({ rule: z.string().optional(), source: z.string().optional(), tenant: z.string().optional(), severity: severitySchema.optional() }),
  starts_at: z.string(),
  ends_at: z.string().nullable(),
  recurring: z
    .object({
      weekdays: z.array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])),
      times: z.array(z.object({ start: z.string(), end: z.string() })),
      timezone: z.string(),
    })
    .nullable(),
  comment: z.string().nullable(),
  created_by: z.string().nullable(),
}) as z.ZodType<Silence>;

/**
 * The `alert_silences` collection.
 * @example const silences = collection(stores.documents, alertSilencesCollection); await silences.list()
 */
export const alertSilencesCollection = defineCollection<Silence>({ name: 'alert_silences', schema: silenceSchema });

/**
 * A stored rule document as a rule. A document whose `spec` does not read as one (a row migrated from an older
 * shape, say) comes back with `problem` set and defaults elsewhere, and is never evaluated.
 * @example const rule = readRule(await rules.get(id))
 */
export function readRule(doc: StoredDocument<StoredRule>): AlertRule {
  // Anything may be stored (by hand, by an older version): a document that is not a rule reads as a rule with a
  // problem, so one bad document never breaks the list, or the evaluation of the others.
  const data = doc.data as unknown as Record<string, unknown>;
  const named = typeof data.name === 'string';
  const flagged = typeof data.enabled === 'boolean';
  const base = { id: doc.id, name: named ? (data.name as string) : doc.id, enabled: data.enabled === true, version: doc.version, created_at: doc.created_at, updated_at: doc.updated_at };
  const parsed = ruleSpecSchema.safeParse(data.spec);
  if (parsed.success && named && flagged) return { ...base, ...parsed.data };
  const problem = [
    ...(named ? [] : ['name: must be a string']),
    ...(flagged ? [] : ['enabled: must be true or false']),
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `spec.${i.path.map(String).join('.') || '?'}: ${i.message}`)),
  ].join('; ');
  const spec = (typeof data.spec === 'object' && data.spec !== null && !Array.isArray(data.spec) ? data.spec : {}) as Record<string, unknown>;
  const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return {
    ...base,
    severity: severitySchema.safeParse(spec.severity).data ?? 'critical',
    event_type: str(spec.event_type),
    source: str(spec.source),
    tenant: str(spec.tenant),
    window_seconds: num(spec.window_seconds, 0),
    threshold: num(spec.threshold, 0),
    for_seconds: 0,
    keep_firing_for_seconds: 0,
    repeat_interval_seconds: null,
    group_by: [],
    description: str(spec.description),
    problem,
  };
}
