import { eventTypeSchema, isStorableText, severitySchema } from '@aetherlink/core';
import { z } from 'zod';

// Request schemas: every rule, silence and template input is checked here, and a refusal names the field.

const WEEK = 7 * 86_400;
const text = (max: number) => z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).refine(isStorableText, 'must be valid Unicode text without NUL characters');
const seconds = (min: number, max: number) =>
  z.number({ error: 'must be a number of seconds' }).int('must be a whole number of seconds').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

const TYPE_PREFIX = /^[a-z0-9]+(?:[._-][a-z0-9]+)*\.\*$/i;
const DATA_PATH = /^data(?:\.[A-Za-z0-9_-]{1,64}){1,4}$/;

/** `group_by` keys: event fields, or a path into `data` (up to four levels). */
export const GROUP_FIELDS = ['source', 'tenant', 'event_type', 'severity', 'subject'] as const;
/** Most `group_by` keys per rule. */
export const MAX_GROUP_BY = 5;

export const eventTypeMatchSchema = z.union([eventTypeSchema, z.string().max(200).regex(TYPE_PREFIX)], {
  error: 'must be an event type such as "autoheal.failed" or a prefix such as "autoheal.*"',
});

const groupBySchema = z
  .array(
    z.string().refine((v) => (GROUP_FIELDS as readonly string[]).includes(v) || DATA_PATH.test(v), {
      message: `must be one of ${GROUP_FIELDS.join(', ')}, or data.<field> (up to four levels)`,
    }),
  )
  .max(MAX_GROUP_BY, `must name at most ${MAX_GROUP_BY} labels`)
  .refine((list) => new Set(list).size === list.length, 'must not name a label twice');

// The fields of a rule's spec, without defaults (a template's overrides leave out what they do not replace).
const specFields = {
  severity: severitySchema,
  event_type: eventTypeMatchSchema.nullable(),
  source: text(300).nullable(),
  tenant: text(200).nullable(),
  window_seconds: seconds(1, WEEK),
  threshold: z.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(1_000_000_000),
  for_seconds: seconds(0, WEEK),
  keep_firing_for_seconds: seconds(0, WEEK),
  repeat_interval_seconds: seconds(60, 30 * 86_400).nullable(),
  group_by: groupBySchema,
  description: z.string().max(1000).refine(isStorableText, 'must be valid Unicode text without NUL characters').nullable(),
};

/** What a rule matches and when it fires, with defaults (stored as the rule's `spec`). */
export const ruleSpecSchema = z.strictObject({
  ...specFields,
  severity: specFields.severity.default('critical'),
  event_type: specFields.event_type.default(null),
  source: specFields.source.default(null),
  tenant: specFields.tenant.default(null),
  for_seconds: specFields.for_seconds.default(0),
  keep_firing_for_seconds: specFields.keep_firing_for_seconds.default(0),
  repeat_interval_seconds: specFields.repeat_interval_seconds.default(null),
  group_by: specFields.group_by.default([]),
  description: specFields.description.default(null),
});

/** A rule as clients create or replace it (DESIGN §4: `{ name, severity?, event_type?, source?, window_seconds, threshold, enabled }`). */
export const ruleInputSchema = ruleSpecSchema.extend({
  name: text(200),
  enabled: z.boolean({ error: 'must be true or false' }).default(true),
});
export type RuleInput = z.input<typeof ruleInputSchema>;
export type ParsedRuleInput = z.output<typeof ruleInputSchema>;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const timeZoneSchema = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone such as "UTC" or "Europe/Berlin"');

export const recurringSchema = z.strictObject({
  weekdays: z.array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` })).max(7).default([]),
  times: z
    .array(z.strictObject({ start: z.string().regex(HHMM, 'must be HH:MM (00:00–23:59)'), end: z.string().regex(HHMM, 'must be HH:MM (00:00–23:59)') }))
    .max(16)
    .default([]),
  timezone: timeZoneSchema.default('UTC'),
});

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-01-01T12:00:00Z' });

/** A silence as clients create it: matchers, a time range, and optionally a recurring mute window. */
export const silenceInputSchema = z
  .strictObject({
    matchers: z
      .strictObject({ rule: text(200).optional(), source: text(300).optional(), tenant: text(200).optional(), severity: severitySchema.optional() })
      .refine((m) => Object.keys(m).length > 0, 'must name at least one of rule, source, tenant, severity'),
    starts_at: isoTime.optional(),
    ends_at: isoTime.nullable().optional(),
    recurring: recurringSchema.nullable().optional(),
    comment: z.string().max(1000).nullable().optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.ends_at ?? null) === null && !s.recurring) ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'is required unless the silence is recurring' });
    if (s.ends_at && s.starts_at && Date.parse(s.ends_at) <= Date.parse(s.starts_at)) ctx.addIssue({ code: 'custom', path: ['ends_at'], message: 'must be after starts_at' });
    for (const [i, t] of (s.recurring?.times ?? []).entries()) {
      if (t.start === t.end) ctx.addIssue({ code: 'custom', path: ['recurring', 'times', i, 'end'], message: 'must differ from start' });
    }
  });
export type SilenceInput = z.input<typeof silenceInputSchema>;

/** The body of `POST /alerts/templates/{id}/materialize`: the template's rule with these fields replaced. */
export const materializeSchema = z
  .strictObject(specFields)
  .partial()
  .extend({ name: text(200).optional(), enabled: z.boolean({ error: 'must be true or false' }).optional() });

/** Longest range a backtest replays. */
export const MAX_PREVIEW_RANGE_DAYS = 31;

/** The body of `POST /alerts/rules/preview`: a saved rule (`rule_id`) or an unsaved one (`rule`), and a past range. */
export const previewSchema = z
  .strictObject({
    rule_id: z.string().min(1).max(200).optional(),
    rule: ruleInputSchema.partial({ name: true }).optional(),
    from: isoTime,
    to: isoTime,
    step_seconds: seconds(1, 3600).optional().describe('virtual evaluation interval; default the evaluator’s'),
    use_silences: z.boolean({ error: 'must be true or false' }).default(true).describe('apply the silences stored now'),
  })
  .superRefine((p, ctx) => {
    if ((p.rule_id === undefined) === (p.rule === undefined)) ctx.addIssue({ code: 'custom', path: ['rule'], message: 'give either rule_id or rule, not both' });
    const from = Date.parse(p.from);
    const to = Date.parse(p.to);
    if (to <= from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (to - from > MAX_PREVIEW_RANGE_DAYS * 86_400_000) ctx.addIssue({ code: 'custom', path: ['to'], message: `must be at most ${MAX_PREVIEW_RANGE_DAYS} days after from` });
  });
export type PreviewInput = z.input<typeof previewSchema>;
