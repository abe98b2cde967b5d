import { defineRoute, reply, type AnyRouteSpec, type Permission } from '@aetherlink/core';
import { z } from 'zod';
import { materializeSchema, silenceInputSchema } from './schemas.js';
import { silenceNotFound, type SilenceBook } from './silence-book.js';
import type { TemplateBook } from './templates.js';
import { ruleViewSchema, silenceViewSchema, templateViewSchema } from './views.js';

const idParams = z.object({ id: z.string().min(1).max(512) });
const tags = ['alerts'];

/**
 * Silence routes: list (`active=true|false`), create, get, remove.
 * @example routes.push(...silenceRoutes({ silences, read: 'ops:read', operate: 'ops:operate' }))
 */
export function silenceRoutes(options: { silences: SilenceBook; read: Permission; operate: Permission }): AnyRouteSpec[] {
  const { silences, read, operate } = options;
  return [
    defineRoute({
      method: 'GET',
      path: '/alerts/silences',
      permission: read,
      summary: 'Silences; with active=true, only those in force now',
      tags,
      query: z.object({ active: z.enum(['true', 'false'], { error: 'must be true or false' }).optional() }),
      response: z.object({ count: z.number(), silences: z.array(silenceViewSchema) }),
      handler: async ({ query }) => {
        const list = await silences.list(query.active === undefined ? {} : { active: query.active === 'true' });
        return { count: list.length, silences: list };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/silences',
      openapi: { status: 201 },
      permission: operate,
      summary: 'Silence alerts: matchers (rule, source, tenant, severity), a time range, optionally a recurring mute window',
      description: 'A silenced alert is still evaluated, recorded and published as an event, but its firing notices are not sent.',
      tags,
      body: silenceInputSchema,
      response: silenceViewSchema,
      handler: async ({ body, principal }) => {
        const silence = await silences.create(body, principal?.id ?? null);
        return reply(201, silence, { location: `/alerts/silences/${encodeURIComponent(silence.id)}` });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/silences/{id}',
      permission: read,
      summary: 'One silence',
      tags,
      params: idParams,
      response: silenceViewSchema,
      handler: async ({ params }) => (await silences.get(params.id)) ?? Promise.reject(silenceNotFound(params.id)),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/alerts/silences/{id}',
      permission: operate,
      summary: 'Remove a silence (404 when unknown)',
      tags,
      params: idParams,
      response: z.object({ status: z.literal('ok'), id: z.string(), removed: z.literal(true) }),
      handler: async ({ params }) => {
        if (!(await silences.remove(params.id))) throw silenceNotFound(params.id);
        return { status: 'ok', id: params.id, removed: true };
      },
    }),
  ];
}

/**
 * Template routes: list (global, plus a tenant's own with `tenant=`) and materialize into a rule.
 * @example routes.push(...templateRoutes({ templates, read: 'ops:read', operate: 'ops:operate' }))
 */
export function templateRoutes(options: { templates: TemplateBook; read: Permission; operate: Permission }): AnyRouteSpec[] {
  const { templates, read, operate } = options;
  return [
    defineRoute({
      method: 'GET',
      path: '/alerts/templates',
      permission: read,
      summary: 'Rule templates: the global ones, plus a tenant’s own with tenant=',
      tags,
      query: z.object({ tenant: z.string().min(1).max(200).optional() }),
      response: z.object({ count: z.number(), templates: z.array(templateViewSchema) }),
      handler: ({ query }) => {
        const list = templates.list(query.tenant);
        return { count: list.length, templates: list };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/templates/{id}/materialize',
      openapi: { status: 201 },
      errors: [409],
      permission: operate,
      summary: 'Create a real rule from a template; the body’s fields replace the template’s (name defaults to the template id)',
      tags,
      params: idParams,
      body: materializeSchema.optional(),
      response: ruleViewSchema,
      handler: async ({ params, body }) => {
        const rule = await templates.materialize(params.id, body ?? {});
        return reply(201, rule, { location: `/alerts/rules/${encodeURIComponent(rule.id)}` });
      },
    }),
  ];
}
