import { buildOpenApi, defaultPolicy, defineRoute, PERMISSIONS, type AnyRouteSpec, type EventTypeDefinition, type Loop, type Module, type Policy } from '@aetherlink/core';
import { z } from 'zod';
import { dashboardRoutes } from './dashboard.js';
import { docsRoutes } from './docs.js';

export interface ConsoleModuleOptions {
  service: string;
  version: string;
  instance: string;
  /** Where the data lives, for operators (a file path or a database host; never a password). */
  where: string;
  /** Read when asked: the host's loops, every route served (for the OpenAPI document), the AI providers. */
  loops: () => readonly Loop[];
  routes: () => readonly AnyRouteSpec[];
  providers: () => string[];
  /** How this server finds who is asking, so the dashboard offers the matching sign-in. */
  authMode: 'header' | 'jwt';
  /** The policy the HTTP adapter enforces (default: DESIGN §3), so `/ops/me` answers what it will allow. */
  policy?: Policy;
}

/** The CRM's events, which services such as customer-ops publish to this control plane. */
const CRM_EVENT_TYPES: EventTypeDefinition[] = [
  {
    type: 'lead.created',
    description: 'The CRM created a lead.',
    schema: z.looseObject({
      lead_id: z.union([z.string(), z.number()]),
      name: z.string().optional(),
      email: z.string().optional(),
      company: z.string().optional(),
    }),
  },
];

/**
 * The reference server's own part: the seed's ping routes, this instance's details, how to sign in and who is
 * signed in, the operator dashboard and the OpenAPI document of everything served.
 * @example consoleModule({ service, version, instance, where, authMode: 'header', loops: () => host.loops, routes: () => routes, providers: () => ai.providerNames() })
 */
export function consoleModule(options: ConsoleModuleOptions): Module {
  const { service, version, instance, where } = options;
  const ping = (path: string, operationId: string, extra: () => Record<string, unknown> = () => ({})) =>
    defineRoute({
      method: 'GET',
      path,
      permission: 'public',
      operationId,
      summary: 'Liveness: the service name and version',
      tags: ['ops'],
      response: z.object({ status: z.literal('ok'), service: z.string(), version: z.string(), providers: z.array(z.string()).optional() }),
      handler: () => ({ status: 'ok', service, version, ...extra() }),
    });
  let openapi: Record<string, unknown> | undefined;
  const policy = options.policy ?? defaultPolicy;
  return {
    name: 'console',
    routes: [
      ping('/ops/ping', 'pingOps'),
      // The seed's AI orchestrator answered /ping with its provider order.
      ping('/ping', 'ping', () => ({ providers: options.providers() })),
      defineRoute({
        method: 'GET',
        path: '/ops/instance',
        // Where the data lives (a file path, a database host) is for operators, not every viewer.
        permission: 'ops:operate',
        operationId: 'getInstance',
        summary: 'This instance: its id, where its data lives, and which background loops it runs',
        tags: ['ops'],
        response: z.object({
          instance: z.string(),
          version: z.string(),
          store: z.string().describe('Where the data lives: a file path or a database host'),
          loops: z.array(z.object({ name: z.string(), active: z.boolean(), last_run: z.string().nullable() })),
        }),
        handler: () => ({
          instance,
          version,
          store: where,
          loops: options.loops().map((l) => ({ name: l.name, active: l.active(), last_run: l.lastRun() === null ? null : new Date(l.lastRun()!).toISOString() })),
        }),
      }),
      defineRoute({
        method: 'GET',
        path: '/ops/auth',
        permission: 'public',
        summary: 'How to sign in here: the auth mode, and the roles a header-mode sign-in may pick',
        tags: ['ops'],
        response: z.object({ mode: z.enum(['header', 'jwt']), header: z.string().optional(), roles: z.array(z.string()) }),
        handler: () => ({
          mode: options.authMode,
          ...(options.authMode === 'header' ? { header: 'x-user-roles' } : {}),
          roles: Object.keys(policy.roles),
        }),
      }),
      defineRoute({
        method: 'GET',
        path: '/ops/me',
        // Every role of DESIGN §3 reads the ops plane; a principal without it is told so once, with a 403.
        permission: PERMISSIONS.opsRead,
        summary: 'Who is asking: roles, permissions, and which routes of this server they may call',
        description: 'routes maps "METHOD /path" of every documented route to whether this principal may call it, so a client neither offers what it may not do nor asks for what it may not see.',
        tags: ['ops'],
        response: z.object({
          id: z.string().nullable(),
          via: z.string(),
          roles: z.array(z.string()),
          permissions: z.array(z.string()),
          routes: z.record(z.string(), z.boolean()),
        }),
        handler: ({ principal }) => {
          const who = principal!;
          const routes: Record<string, boolean> = {};
          for (const route of options.routes()) {
            if (route.openapi?.hidden) continue;
            routes[`${route.method} ${route.path}`] = policy.authorize(who, route.permission).allowed;
          }
          return { id: who.id ?? null, via: who.via, roles: [...who.roles], permissions: policy.permissionsOf(who.roles), routes };
        },
      }),
      ...dashboardRoutes(),
      ...docsRoutes(),
      defineRoute({
        method: 'GET',
        path: '/openapi.json',
        permission: 'public',
        operationId: 'getOpenApi',
        response: z.record(z.string(), z.unknown()).describe('This document'),
        summary: 'This API, as OpenAPI 3.1, generated from the route specs',
        tags: ['docs'],
        handler: () => (openapi ??= buildOpenApi([...options.routes()], { title: 'AetherLink command center', version })),
      }),
    ],
    loops: [],
    eventTypes: CRM_EVENT_TYPES,
    close: () => undefined,
  };
}
