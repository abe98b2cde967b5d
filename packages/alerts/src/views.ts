import { severitySchema, type StoredDocument } from '@aetherlink/core';
import { z } from 'zod';
import type { AlertState } from './types.js';

// Response schemas (OpenAPI documents every route's answer from these) and the views they describe.

const iso = z.string().describe('ISO 8601 date-time');
const labels = z.record(z.string(), z.string());

export const ruleViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  severity: severitySchema,
  event_type: z.string().nullable(),
  source: z.string().nullable(),
  tenant: z.string().nullable(),
  window_seconds: z.number(),
  threshold: z.number(),
  for_seconds: z.number(),
  keep_firing_for_seconds: z.number(),
  repeat_interval_seconds: z.number().nullable(),
  group_by: z.array(z.string()),
  description: z.string().nullable(),
  version: z.number(),
  created_at: iso,
  updated_at: iso,
  problem: z.string().optional().describe('set when the stored rule cannot be read as a rule; it is not evaluated'),
});

export const alertViewSchema = z.object({
  id: z.string(),
  rule_id: z.string(),
  rule_name: z.string(),
  severity: severitySchema,
  tenant: z.string().nullable(),
  group: labels,
  status: z.enum(['pending', 'firing', 'resolved']),
  count: z.number(),
  active_since: iso.nullable(),
  firing_since: iso.nullable(),
  below_since: iso.nullable(),
  resolved_at: iso.nullable(),
  episode_id: z.string().nullable(),
  last_notified_at: iso.nullable(),
  notifications: z.number(),
  silenced_by: z.string().nullable(),
  evaluated_at: iso,
  queued_notices: z.number().describe('notices decided but not yet published and notified'),
});
export type AlertView = z.infer<typeof alertViewSchema>;

/**
 * An alert document as the API answers it.
 * @example alerts.map(alertView)
 */
export function alertView(doc: StoredDocument<AlertState>): AlertView {
  const s = doc.data;
  return {
    id: doc.id,
    rule_id: s.rule_id,
    rule_name: s.rule.name,
    severity: s.rule.severity,
    tenant: s.rule.tenant ?? s.group.tenant ?? null,
    group: s.group,
    status: s.status,
    count: s.count,
    active_since: s.active_since,
    firing_since: s.firing_since,
    below_since: s.below_since,
    resolved_at: s.resolved_at,
    episode_id: s.episode_id,
    last_notified_at: s.last_notified_at,
    notifications: s.notifications,
    silenced_by: s.silenced_by,
    evaluated_at: s.evaluated_at,
    queued_notices: s.outbox.length,
  };
}

export const silenceViewSchema = z.object({
  id: z.string(),
  matchers: z.object({ rule: z.string().optional(), source: z.string().optional(), tenant: z.string().optional(), severity: severitySchema.optional() }),
  starts_at: iso,
  ends_at: iso.nullable(),
  recurring: z.object({ weekdays: z.array(z.string()), times: z.array(z.object({ start: z.string(), end: z.string() })), timezone: z.string() }).nullable(),
  comment: z.string().nullable(),
  created_by: z.string().nullable(),
  created_at: iso,
  active: z.boolean().describe('in force now'),
});

export const templateViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  tenant: z.string().nullable(),
  rule: ruleViewSchema.pick({
    severity: true,
    event_type: true,
    source: true,
    window_seconds: true,
    threshold: true,
    for_seconds: true,
    keep_firing_for_seconds: true,
    repeat_interval_seconds: true,
    group_by: true,
  }),
});

const transitionSchema = z.object({
  rule_id: z.string(),
  rule_name: z.string(),
  group: labels,
  from: z.enum(['inactive', 'pending', 'firing', 'resolved']),
  to: z.enum(['inactive', 'pending', 'firing', 'resolved']),
  at: iso,
});

export const evaluationReportSchema = z.object({
  evaluated_at: iso,
  rules: z.number(),
  alerts: z.object({ pending: z.number(), firing: z.number(), resolved: z.number() }),
  transitions: z.array(transitionSchema),
  notifications: z.object({ sent: z.number(), silenced: z.number(), failed: z.number() }),
  rebuilt: z.object({ rules: z.number(), events: z.number() }),
  conflicts: z.number(),
});

export const backtestResultSchema = z.object({
  rule: ruleViewSchema.omit({ id: true, version: true, created_at: true, updated_at: true, problem: true }).extend({ id: z.string().nullable() }),
  from: iso,
  to: iso,
  step_seconds: z.number(),
  evaluations: z.number(),
  events_matched: z.number(),
  episodes: z.array(
    z.object({
      group: labels,
      pending_at: iso,
      firing_at: iso,
      resolved_at: iso.nullable(),
      peak_count: z.number(),
      notifications: z.number(),
      silenced: z.number(),
    }),
  ),
  episodes_total: z.number(),
  notifications: z.object({ firing: z.number(), repeat: z.number(), resolved: z.number(), silenced: z.number(), total: z.number() }),
});
