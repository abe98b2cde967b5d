import { DELIVERY_STATUSES, isAetherError, parseSince, type Clock, type DeliveryRecord, type DeliveryStatus } from '@aetherlink/core';
import { z } from 'zod';
import { redactUrl } from './channels/index.js';

const statusSchema = z.enum(DELIVERY_STATUSES as [DeliveryStatus, ...DeliveryStatus[]]);

/** A delivery as the list routes show it (without its body); `endpoint` cut to host and first path segment. */
export const deliverySummarySchema = z.object({
  id: z.string(),
  webhook_id: z.string(),
  endpoint: z.string(),
  endpoint_id: z.string().nullable(),
  status: statusSchema,
  attempts: z.number(),
  max_attempts: z.number(),
  next_attempt_at: z.string().nullable(),
  lease_owner: z.string().nullable(),
  leased_until: z.string().nullable(),
  last_error: z.string().nullable(),
  last_status_code: z.number().nullable(),
  event_type: z.string().nullable(),
  event_id: z.string().nullable(),
  rule_id: z.string().nullable(),
  tenantid: z.string().nullable(),
  replay_of: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  delivered_at: z.string().nullable(),
});

export const attemptSchema = z.object({
  attempt: z.number(),
  at: z.string(),
  duration_ms: z.number(),
  status_code: z.number().nullable(),
  error: z.string().nullable(),
  response_body: z.string().nullable().describe('what the receiver answered, its first 20 KB'),
});

export const replayResultSchema = z.object({ original_id: z.string(), new_id: z.string() });

/** A delivery as the list routes show it. */
export const summaryOf = (d: DeliveryRecord): z.infer<typeof deliverySummarySchema> => {
  const { payload: _p, headers: _h, ...rest } = d;
  return { ...rest, endpoint: redactUrl(d.endpoint) };
};

const statusList = (allowed: readonly DeliveryStatus[]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const list = [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))];
      const bad = list.filter((s) => !(allowed as readonly string[]).includes(s));
      if (bad.length || !list.length) ctx.addIssue({ code: 'custom', message: `must be one or more of ${allowed.join(', ')}, comma-separated` });
      return list as DeliveryStatus[];
    })
    .describe(`${allowed.join(', ')}; comma-separated for several`);

/** The query of the queue and history routes. */
export const pageShape = (clock: Clock, allowed: readonly DeliveryStatus[]) => ({
  status: statusList(allowed),
  since: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      try {
        return new Date(parseSince(v, clock.now())).toISOString();
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (isAetherError(error) && error.errors?.[0]?.message) || 'is not a time' });
        return z.NEVER;
      }
    })
    .describe('created at or after: an ISO 8601 time, or a window back from now such as 15m, 1h, 24h'),
  endpoint_id: z.string().min(1).max(200).optional(),
  tenant_id: z.string().min(1).max(200).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(500).default(50),
  cursor: z.string().min(1).max(500).optional().describe('next_cursor of the previous page'),
});

