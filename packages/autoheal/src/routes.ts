import { AetherError, defineRoute, PERMISSIONS, reply, type AnyRouteSpec, type Permission, type Principal } from '@aetherlink/core';
import { serviceNameSchema } from '@aetherlink/registry';
import { z } from 'zod';
import type { AutoHealer } from './healer.js';
import { dryRunResponse, historyResponse, quarantineResponse, removedResponse, serviceResponse, statsResponse, statusResponse, windowResponse, windowsResponse } from './responses.js';
import { dryRunBodySchema, quarantineBodySchema, windowBodySchema } from './schemas.js';

export interface AutohealRoutesOptions {
  healer: AutoHealer;
  /** Whether the loop runs (`GET /autoheal/status` says so). Default true. */
  enabled?: boolean;
  /** Reads (status, history, stats, a service's why, windows). Default `ops:read`. */
  readPermission?: Permission;
  /** Writes (maintenance, silences, quarantine, dry run). Default `ops:operate`. */
  writePermission?: Permission;
}

const nameParams = z.object({ name: z.string().min(1).max(200) });
const tags = ['autoheal'];

/** Who asked: the principal's verified id, else the name the caller gave, else its roles. */
const whoOf = (principal: Principal | null, given: string | undefined) =>
  principal?.id ?? given ?? (principal?.roles.length ? `roles:${principal.roles.join(',')}` : 'unknown');

/**
 * Auto-heal's HTTP routes (DESIGN §3–4): status, history, stats and one service's "why" for `ops:read`;
 * maintenance windows and silences, quarantine and dry run for `ops:operate`.
 * @example await app.register(aetherlinkFastify, { service: 'cc', routes: autohealRoutes({ healer }) })
 */
export function autohealRoutes(options: AutohealRoutesOptions): AnyRouteSpec[] {
  const { healer } = options;
  const read = options.readPermission ?? PERMISSIONS.opsRead;
  const write = options.writePermission ?? PERMISSIONS.opsOperate;
  const unknown = (name: string) => new AetherError('not_found', `auto-heal watches no service named "${name}"`, { details: { name } });

  return [
    defineRoute({
      method: 'GET',
      path: '/autoheal/status',
      permission: read,
      response: statusResponse,
      summary: 'What auto-heal watches: each service with its health, its state in the engine and where it came from',
      tags,
      handler: () => healer.status({ enabled: options.enabled ?? true }),
    }),
    defineRoute({
      method: 'GET',
      path: '/autoheal/history',
      permission: read,
      response: historyResponse,
      summary: 'Recent heal attempts and recorded skips, newest first',
      tags,
      query: z.object({
        limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(50, 'must be at most 50').default(10),
        service: z.string().min(1).max(200).optional(),
      }),
      handler: ({ query }) => healer.history({ limit: query.limit, ...(query.service ? { service: query.service } : {}) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/autoheal/stats',
      permission: read,
      response: statsResponse,
      summary: 'Attempts, success rate, attempts per service, time to heal and the quarantined services',
      tags,
      handler: () => healer.stats(),
    }),
    defineRoute({
      method: 'GET',
      path: '/autoheal/services/{name}',
      permission: read,
      response: serviceResponse,
      summary: 'What the engine thinks of one service, and why it did or did not act in its last round',
      tags,
      params: nameParams,
      handler: async ({ params }) => (await healer.service(params.name)) ?? Promise.reject(unknown(params.name)),
    }),
    defineRoute({
      method: 'GET',
      path: '/autoheal/maintenance',
      permission: read,
      response: windowsResponse,
      summary: 'Maintenance windows and silences, in force or to come',
      tags,
      handler: async () => ({ windows: await healer.windows() }),
    }),
    defineRoute({
      method: 'POST',
      path: '/autoheal/maintenance',
      permission: write,
      response: windowResponse,
      summary: 'Set a maintenance window (failures expected, no restart) or a silence (judged, not acted on) for a service or `*`',
      tags,
      body: windowBodySchema,
      handler: async ({ body, principal }) => {
        const { by, ...input } = body;
        return reply(201, await healer.setWindow(input, whoOf(principal, by)));
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/autoheal/maintenance/{id}',
      permission: write,
      response: removedResponse,
      summary: 'End a maintenance window or silence now',
      tags,
      params: z.object({ id: z.string().min(1).max(100) }),
      handler: async ({ params }) => {
        if (!(await healer.clearWindow(params.id))) throw new AetherError('not_found', `no maintenance window or silence has id "${params.id}"`, { details: { id: params.id } });
        return { status: 'ok', id: params.id, removed: true };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/autoheal/services/{name}/quarantine',
      permission: write,
      response: quarantineResponse,
      summary: 'Quarantine a service: auto-heal leaves it alone until an operator releases it',
      tags,
      params: z.object({ name: serviceNameSchema }),
      body: quarantineBodySchema,
      handler: async ({ params, body, principal }) => {
        const state = await healer.quarantine(params.name, whoOf(principal, body.by), body.reason);
        return { status: 'ok', name: params.name, quarantine: state.quarantine };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/autoheal/services/{name}/quarantine',
      permission: write,
      response: quarantineResponse,
      summary: 'Release a quarantined service: its restart budget and backoff start over',
      tags,
      params: nameParams,
      handler: async ({ params, principal }) => {
        await healer.release(params.name, whoOf(principal, undefined));
        return { status: 'ok', name: params.name, quarantine: null };
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/autoheal/dry-run',
      permission: write,
      response: dryRunResponse,
      summary: 'Switch dry run on or off: auto-heal decides and records, and restarts nothing',
      tags,
      body: dryRunBodySchema,
      handler: async ({ body, principal }) => {
        const settings = await healer.setDryRun(body.enabled, whoOf(principal, body.by), body.reason);
        return { status: 'ok', dry_run: settings.dry_run || healer.policy.dryRun, by: settings.by, reason: settings.reason, at: settings.at };
      },
    }),
  ];
}
