import { AetherError, defineRoute, reply, type AnyRouteSpec } from '@aetherlink/core';
import { z } from 'zod';
import { CRM_PERMISSIONS } from './policy.js';
import {
  activityInputSchema,
  activityPatchSchema,
  activityQuerySchema,
  activitySchema,
  leadInputSchema,
  leadPatchSchema,
  leadQuerySchema,
  leadSchema,
  type Lead,
} from './schemas.js';
import type { CrmStore, EventFor } from './store/store.js';

export interface CrmRoutesOptions {
  store: CrmStore;
  /** The event committed with each new lead (`lead.created`), when events go anywhere. */
  leadCreated?: EventFor<Lead>;
  /** Called after a lead was committed (the forwarder sends its event). */
  afterCreate?: () => void;
}

const idParams = z.object({ id: z.string().min(1).max(64) });
const leadPage = z.object({ leads: z.array(leadSchema), count: z.number(), next_cursor: z.string().nullable() });
const activityPage = z.object({ activities: z.array(activitySchema), count: z.number(), next_cursor: z.string().nullable() });

/**
 * The CRM's HTTP API: leads and activities, created, listed (filters, newest first, cursor paging), read and
 * updated. Agents write (`crm:write`), viewers and agents read (`crm:read`).
 * @example aetherlinkExpress({ service: 'customer-ops', routes: crmRoutes({ store }), policy: crmPolicy() })
 */
export function crmRoutes(options: CrmRoutesOptions): AnyRouteSpec[] {
  const { store } = options;
  const tags = ['crm'];
  const read = CRM_PERMISSIONS.read;
  const write = CRM_PERMISSIONS.write;
  return [
    defineRoute({
      method: 'POST',
      path: '/leads',
      permission: write,
      summary: 'Create a lead (publishes lead.created to the command center)',
      tags,
      body: leadInputSchema,
      response: z.object({ lead: leadSchema }),
      handler: ({ body }) => {
        const lead = store.createLead(body, options.leadCreated);
        options.afterCreate?.();
        return reply(201, { lead }, { location: `/leads/${lead.id}` });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/leads',
      permission: read,
      summary: 'Leads, newest first: filter by status, source, owner, company or text (q); page with cursor',
      tags,
      query: leadQuerySchema,
      response: leadPage,
      handler: ({ query }) => {
        const page = store.listLeads(query);
        return { leads: page.items, count: page.items.length, next_cursor: page.next_cursor };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/leads/{id}',
      permission: read,
      summary: 'One lead',
      tags,
      params: idParams,
      response: z.object({ lead: leadSchema }),
      handler: ({ params }) => ({ lead: store.getLead(params.id) ?? throwMissing('lead', params.id) }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/leads/{id}',
      permission: write,
      summary: 'Change some of a lead’s fields (null clears an optional one)',
      tags,
      params: idParams,
      body: leadPatchSchema,
      response: z.object({ lead: leadSchema }),
      handler: ({ params, body }) => ({ lead: store.updateLead(params.id, body) ?? throwMissing('lead', params.id) }),
    }),
    defineRoute({
      method: 'POST',
      path: '/leads/{id}/activities',
      permission: write,
      summary: 'Record a call, email, meeting or note on a lead',
      tags,
      params: idParams,
      body: activityInputSchema,
      response: z.object({ activity: activitySchema }),
      handler: ({ params, body }) => {
        const activity = store.createActivity(params.id, body) ?? throwMissing('lead', params.id);
        return reply(201, { activity }, { location: `/activities/${activity.id}` });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/leads/{id}/activities',
      permission: read,
      summary: 'A lead’s activities, newest first',
      tags,
      params: idParams,
      query: activityQuerySchema.omit({ lead_id: true }),
      response: activityPage,
      handler: ({ params, query }) => {
        if (!store.getLead(params.id)) throwMissing('lead', params.id);
        const page = store.listActivities({ ...query, lead_id: params.id });
        return { activities: page.items, count: page.items.length, next_cursor: page.next_cursor };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/activities',
      permission: read,
      summary: 'Activities across leads, newest first: filter by lead, type or since',
      tags,
      query: activityQuerySchema,
      response: activityPage,
      handler: ({ query }) => {
        const page = store.listActivities(query);
        return { activities: page.items, count: page.items.length, next_cursor: page.next_cursor };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/activities/{id}',
      permission: read,
      summary: 'One activity',
      tags,
      params: idParams,
      response: z.object({ activity: activitySchema }),
      handler: ({ params }) => ({ activity: store.getActivity(params.id) ?? throwMissing('activity', params.id) }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/activities/{id}',
      permission: write,
      summary: 'Change an activity’s type, note or time',
      tags,
      params: idParams,
      body: activityPatchSchema,
      response: z.object({ activity: activitySchema }),
      handler: ({ params, body }) => ({ activity: store.updateActivity(params.id, body) ?? throwMissing('activity', params.id) }),
    }),
  ];
}

function throwMissing(what: 'lead' | 'activity', id: string): never {
  throw new AetherError('not_found', `no ${what} with id "${id}"`, { details: { id } });
}
