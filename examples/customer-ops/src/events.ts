import { uuidv7, type EventTypeDefinition } from '@aetherlink/core';
import { z } from 'zod';
import type { Lead } from './schemas.js';

/**
 * `lead.created`'s data. The command center's console module registers the same type (lead_id and the contact,
 * `company` a string when present), so a lead without a company leaves the field out rather than sending null.
 */
export const leadCreatedSchema = z.object({
  lead_id: z.string(),
  name: z.string(),
  email: z.string(),
  company: z.string().optional(),
  status: z.string(),
  source: z.string(),
});

/** The events the CRM emits. */
export const CRM_EVENT_TYPES: EventTypeDefinition[] = [
  { type: 'lead.created', description: 'The CRM created a lead.', defaultSeverity: 'info', schema: leadCreatedSchema },
];

/**
 * `lead.created` for a lead just written, as a CloudEvent the command center stores as it is (its id makes a
 * repeated send a duplicate, not a second event).
 * @example store.createLead(input, (lead) => leadCreatedEvent(lead, 'customer-ops', clock.now()))
 */
export function leadCreatedEvent(lead: Lead, source: string, now: number): { type: string } & Record<string, unknown> {
  return {
    specversion: '1.0',
    id: uuidv7(now),
    source,
    type: 'lead.created',
    time: new Date(now).toISOString(),
    datacontenttype: 'application/json',
    severity: 'info',
    subject: lead.id,
    data: leadCreatedSchema.parse({
      lead_id: lead.id,
      name: lead.name,
      email: lead.email,
      ...(lead.company === null ? {} : { company: lead.company }),
      status: lead.status,
      source: lead.source,
    }),
  };
}
