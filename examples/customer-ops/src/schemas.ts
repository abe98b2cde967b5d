import { z } from 'zod';

export const LEAD_STATUSES = ['new', 'contacted', 'qualified', 'won', 'lost'] as const;
export const LEAD_SOURCES = ['manual', 'ai', 'import', 'web'] as const;
export const ACTIVITY_TYPES = ['call', 'email', 'meeting', 'note'] as const;

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const optionalText = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`).nullable().optional();

/** A lead as the API returns it. */
export const leadSchema = z.object({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  company: z.string().nullable(),
  phone: z.string().nullable(),
  status: z.enum(LEAD_STATUSES),
  source: z.enum(LEAD_SOURCES),
  owner: z.string().nullable(),
  notes: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Lead = z.output<typeof leadSchema>;

const leadFields = {
  name: text(200),
  email: z.email('must be an email address').max(320),
  company: optionalText(200),
  phone: optionalText(50),
  status: z.enum(LEAD_STATUSES, { error: `must be one of ${LEAD_STATUSES.join(', ')}` }),
  source: z.enum(LEAD_SOURCES, { error: `must be one of ${LEAD_SOURCES.join(', ')}` }),
  owner: optionalText(200),
  notes: optionalText(5000),
};

/** A new lead (POST /leads), and the shape an extracted lead is saved in. */
export const leadInputSchema = z.strictObject({ ...leadFields, status: leadFields.status.default('new'), source: leadFields.source.default('manual') });
export type LeadInput = z.output<typeof leadInputSchema>;

/** PATCH /leads/{id}: any of the fields (no defaults: what is left out stays); null clears an optional one. */
export const leadPatchSchema = z
  .strictObject(leadFields)
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'must change at least one field', path: ['body'] });
export type LeadPatch = z.output<typeof leadPatchSchema>;

/** An activity (a call, an email, a meeting, a note) on a lead. */
export const activitySchema = z.object({
  id: z.string(),
  lead_id: z.string(),
  type: z.enum(ACTIVITY_TYPES),
  note: z.string(),
  occurred_at: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type Activity = z.output<typeof activitySchema>;

const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time, e.g. 2025-11-04T10:00:00Z' });

export const activityInputSchema = z.strictObject({
  type: z.enum(ACTIVITY_TYPES, { error: `must be one of ${ACTIVITY_TYPES.join(', ')}` }),
  note: text(10_000),
  occurred_at: isoTime.optional(),
});
export type ActivityInput = z.output<typeof activityInputSchema>;

export const activityPatchSchema = activityInputSchema
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { message: 'must change at least one field', path: ['body'] });
export type ActivityPatch = z.output<typeof activityPatchSchema>;

const limit = z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 200').max(200, 'must be from 1 to 200').default(50);
const cursor = z.string().max(20).optional().describe('next_cursor of the previous page');

/** GET /leads filters. `q` matches name, email or company. */
export const leadQuerySchema = z.object({
  status: z.enum(LEAD_STATUSES, { error: `must be one of ${LEAD_STATUSES.join(', ')}` }).optional(),
  source: z.enum(LEAD_SOURCES, { error: `must be one of ${LEAD_SOURCES.join(', ')}` }).optional(),
  owner: z.string().trim().min(1).max(200).optional(),
  company: z.string().trim().min(1).max(200).optional().describe('exact company, any case'),
  q: z.string().trim().min(1).max(200).optional().describe('text in the name, email or company'),
  limit,
  cursor,
});
export type LeadQuery = z.output<typeof leadQuerySchema>;

/** GET /activities and GET /leads/{id}/activities filters. */
export const activityQuerySchema = z.object({
  lead_id: z.string().min(1).max(64).optional(),
  type: z.enum(ACTIVITY_TYPES, { error: `must be one of ${ACTIVITY_TYPES.join(', ')}` }).optional(),
  since: isoTime.optional().describe('activities that occurred at or after this time'),
  limit,
  cursor,
});
export type ActivityQuery = z.output<typeof activityQuerySchema>;

/** A page, newest first. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
