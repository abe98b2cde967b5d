import { AetherError, defineRoute, healthStatusSchema, PERMISSIONS, type AnyRouteSpec } from '@aetherlink/core';
import { z } from 'zod';
import { createHeartbeatSchema, createRegistrationSchema, healthReportSchema, serviceViewSchema } from './schemas.js';
import type { HealthReport, RegistryRoutesOptions, ServiceView } from './types.js';

const WAIT = /^(\d{1,6})(s|m)?$/;

// Lenient on purpose: a name that could never be registered is simply not there (404), as the seed answered.
const nameParams = z.object({ name: z.string().min(1).max(200) });

const REGISTER_EXAMPLES = {
  minimal: { summary: 'A name and a URL (health_url defaults to url + "/ping")', value: { name: 'billing', url: 'http://billing:8080' } },
  leased: {
    summary: 'With a health URL, tags and a 30 s lease renewed by heartbeats',
    value: { name: 'billing', url: 'http://billing:8080', health_url: 'http://billing:8080/healthz', version: '2.4.1', tags: ['payments'], ttl_seconds: 30 },
  },
};

const notFound = (name: string) => new AetherError('not_found', `no service named "${name}" is registered`, { details: { name } });

/**
 * The registry's HTTP routes (DESIGN §3–4): register, list (a blocking change feed with `index`/`wait`), get,
 * remove, heartbeat, maintenance and the aggregated health; every one needs `ops:operate`.
 * @example await app.register(aetherlinkFastify, { service: 'command-center', routes: registryRoutes({ registry, checker }) })
 */
export function registryRoutes(options: RegistryRoutesOptions): AnyRouteSpec[] {
  const { registry, checker } = options;
  const permission = options.permission ?? PERMISSIONS.opsOperate;
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const maxWaitSeconds = options.maxWaitSeconds ?? 300;

  const register = defineRoute({
    method: 'POST',
    path: '/ops/register',
    permission,
    operationId: 'registerService',
    summary: 'Register a service, or replace its registration (upsert by name)',
    description: 'health_url defaults to url + "/ping". Send ttl_seconds to take a lease, renewed with PUT /ops/services/{name}/heartbeat; without it the registration never expires.',
    tags: ['registry'],
    body: createRegistrationSchema(registry.limits),
    openapi: { examples: REGISTER_EXAMPLES },
    response: z.object({ status: z.literal('ok'), created: z.boolean(), service: serviceViewSchema }),
    handler: async ({ body }) => {
      // The probes' egress policy judges the health URL now (looked up), not first at the next probe.
      await checker?.vetHealthUrl(body.health_url);
      const { service, created } = await registry.register(body);
      return { status: 'ok', created, service };
    },
  });

  const list = defineRoute({
    method: 'GET',
    path: '/ops/services',
    permission,
    operationId: 'listServices',
    summary: 'Registered services, by name; with index and wait, a blocking query that answers once the registry changes',
    tags: ['registry'],
    query: z.object({
      tag: z.string().min(1).max(64).optional(),
      status: healthStatusSchema.optional(),
      index: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(0).optional().describe('index of a previous answer: wait for a newer one'),
      wait: z
        .string()
        .regex(WAIT, 'must be seconds, such as 30, 30s or 5m')
        .transform((v) => {
          const [, n, unit] = WAIT.exec(v)!;
          return Math.min(maxWaitSeconds, Number(n) * (unit === 'm' ? 60 : 1));
        })
        .optional()
        .describe(`how long to wait with index (default 30s, at most ${maxWaitSeconds}s)`),
    }),
    response: z.object({ count: z.number(), index: z.number(), services: z.array(serviceViewSchema) }),
    handler: async (ctx) => {
      const { query } = ctx;
      // ctx.signal is read only for a blocking query: adapters build it lazily, and a plain list needs none.
      if (query.index !== undefined) await registry.waitForChange(query.index, { timeoutMs: (query.wait ?? 30) * 1000, signal: ctx.signal });
      // The index is read before the list: a change in between makes the next wait return at once, never lost.
      const index = await registry.version();
      const services: ServiceView[] = await registry.list({
        ...(query.tag !== undefined ? { tag: query.tag } : {}),
        ...(query.status !== undefined ? { status: query.status } : {}),
      });
      return { count: services.length, index, services };
    },
  });

  const getOne = defineRoute({
    method: 'GET',
    path: '/ops/services/{name}',
    permission,
    summary: 'One registered service',
    operationId: 'getService',
    tags: ['registry'],
    params: nameParams,
    response: serviceViewSchema,
    handler: async ({ params }) => (await registry.get(params.name)) ?? Promise.reject(notFound(params.name)),
  });

  const remove = defineRoute({
    method: 'DELETE',
    path: '/ops/services/{name}',
    permission,
    operationId: 'removeService',
    summary: 'Remove a service from the registry (404 when unknown)',
    tags: ['registry'],
    params: nameParams,
    response: z.object({ status: z.literal('ok'), name: z.string(), removed: z.literal(true) }),
    handler: async ({ params }) => {
      if (!(await registry.remove(params.name))) throw notFound(params.name);
      return { status: 'ok', name: params.name, removed: true };
    },
  });

  const heartbeat = defineRoute({
    method: 'PUT',
    path: '/ops/services/{name}/heartbeat',
    permission,
    operationId: 'renewServiceLease',
    summary: 'Renew a service’s lease and last_seen; ttl_seconds starts or changes the lease',
    tags: ['registry'],
    params: nameParams,
    body: createHeartbeatSchema(registry.limits),
    response: z.object({
      status: z.literal('ok'),
      name: z.string(),
      last_seen: z.string(),
      ttl_seconds: z.number().nullable(),
      lease_expires_at: z.string().nullable(),
      service_status: healthStatusSchema,
    }),
    handler: async ({ params, body }) => {
      const service = await registry.heartbeat(params.name, body.ttl_seconds === undefined ? {} : { ttlSeconds: body.ttl_seconds });
      return {
        status: 'ok',
        name: service.name,
        last_seen: service.last_seen,
        ttl_seconds: service.ttl_seconds,
        lease_expires_at: service.lease_expires_at,
        service_status: service.status,
      };
    },
  });

  const maintenance = defineRoute({
    method: 'PUT',
    path: '/ops/services/{name}/maintenance',
    permission,
    operationId: 'setServiceMaintenance',
    // Another write to the same service at once.
    errors: [409],
    summary: 'Put a service into maintenance (status held, lease expiry suspended) or take it out',
    tags: ['registry'],
    params: nameParams,
    body: z.strictObject({ enabled: z.boolean({ error: 'must be true or false' }) }),
    response: serviceViewSchema,
    handler: ({ params, body }) => registry.setMaintenance(params.name, body.enabled),
  });

  const health = defineRoute({
    method: 'GET',
    path: '/ops/health',
    permission,
    operationId: 'getFleetHealth',
    summary: 'Aggregated health: the worst status over the services, and each service worst first',
    tags: ['registry'],
    query: z.object({ fresh: z.enum(['true', 'false'], { error: 'must be true or false' }).optional().describe('probe every service now') }),
    response: healthReportSchema,
    handler: async ({ query }): Promise<HealthReport> => {
      const stored = await registry.health();
      if (!checker) return stored;
      const now = registry.clock.now();
      const stale = stored.services.some((s) => s.status !== 'maintenance' && (s.checked_at === null || now - Date.parse(s.checked_at) > maxAgeMs));
      return query.fresh === 'true' || stale ? checker.checkAll() : stored;
    },
  });

  return [register, list, getOne, remove, heartbeat, maintenance, health];
}
