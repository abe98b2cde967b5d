import { z } from 'zod';
import { SEVERITIES } from './envelope.js';

// What the event routes answer, for the OpenAPI document (handlers build these shapes; nothing parses them).

/** A stored event as the API returns it. */
export const publicEventSchema = z
  .object({
    specversion: z.literal('1.0'),
    id: z.string(),
    source: z.string(),
    type: z.string(),
    time: z.string().describe('ISO 8601, UTC'),
    datacontenttype: z.string(),
    data: z.unknown(),
    severity: z.enum(SEVERITIES),
    tenantid: z.string().optional(),
    subject: z.string().optional(),
    traceparent: z.string().optional().describe('W3C traceparent of the work that published it'),
    dataschema: z.string().optional(),
    received_at: z.string().describe('When this server stored it'),
  });

export const eventPageSchema = z.object({
  events: z.array(publicEventSchema),
  count: z.number().int(),
  next_cursor: z.string().nullable().describe('Pass back as `cursor` for the next, older page; null at the end'),
});

export const eventTypeDescriptionSchema = z
  .object({
    type: z.string(),
    description: z.string(),
    builtin: z.boolean(),
    default_severity: z.enum(SEVERITIES),
    schema: z.record(z.string(), z.unknown()).describe('JSON Schema of `data`'),
  });

export const eventTypeListSchema = z.object({
  count: z.number().int(),
  strict: z.boolean().describe('Unknown types are refused'),
  types: z.array(eventTypeDescriptionSchema),
});

export const publishResultSchema = z.object({ status: z.literal('ok'), event_id: z.string(), duplicate: z.boolean() });

const severityCounts = z.object({ info: z.number(), warning: z.number(), error: z.number(), critical: z.number() });

export const eventStatsSchema = z.object({
  total: z.number(),
  last_24h: z.number(),
  by_severity: severityCounts,
  series: z
    .object({
      bucket: z.string(),
      bucket_ms: z.number(),
      since: z.string(),
      until: z.string(),
      buckets: z.array(severityCounts.extend({ start: z.string() })),
    })
    .optional()
    .describe('Only with bucket and since: every bucket from the one holding since to the one holding now, oldest first'),
});

/** Request body examples of `POST /events/publish`. */
export const PUBLISH_EXAMPLES = {
  cloudevent: {
    summary: 'CloudEvents 1.0 shape',
    value: { type: 'autoheal.failed', source: 'autoheal', severity: 'error', data: { service: 'billing', error: 'exit 137' } },
  },
  seed: {
    summary: 'The seed shape (event_type, payload)',
    value: { event_type: 'lead.created', source: 'customer-ops', payload: { lead_id: 42, name: 'Ann Lee' }, tenant_id: 'acme' },
  },
};
