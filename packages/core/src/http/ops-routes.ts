import { z } from 'zod';
import type { Permission } from '../rbac/policy.js';
import type { ModuleHost } from '../runtime/host.js';
import type { MetricsRegistry } from '../runtime/module.js';
import { defineRoute, reply, type AnyRouteSpec } from './route.js';

export interface OpsRoutesOptions {
  host: ModuleHost;
  /** Serves `GET /metrics` when given. */
  metrics?: MetricsRegistry;
  /** Who may read `/metrics`. Default public (DESIGN §3); a scraper with credentials can be required instead. */
  metricsPermission?: Permission;
}

const HEALTH_JSON = 'application/health+json; charset=utf-8';

const checkEntry = z.object({
  status: z.enum(['pass', 'warn', 'fail']),
  componentType: z.string().optional(),
  output: z.string().optional(),
  observedValue: z.unknown().optional(),
  observedUnit: z.string().optional(),
  time: z.string(),
});
const readinessSchema = z.object({
  status: z.enum(['pass', 'warn', 'fail']),
  version: z.string().optional(),
  serviceId: z.string().optional(),
  checks: z.record(z.string(), z.array(checkEntry)),
});

/**
 * `GET /health` (liveness: the process answers), `GET /health.json` (readiness as `application/health+json`, 503
 * when failing or draining) and `GET /metrics` (Prometheus text), for any app that runs modules.
 * @example routes.push(...opsRoutes({ host, metrics }))
 */
export function opsRoutes(options: OpsRoutesOptions): AnyRouteSpec[] {
  const { host, metrics } = options;
  const routes: AnyRouteSpec[] = [
    defineRoute({
      method: 'GET',
      path: '/health',
      permission: 'public',
      operationId: 'getLiveness',
      openapi: { contentType: 'application/health+json' },
      summary: 'Liveness: the process answers',
      tags: ['ops'],
      response: z.object({ status: z.literal('pass') }),
      handler: () => reply(200, JSON.stringify({ status: 'pass' }), { 'cache-control': 'no-store' }, HEALTH_JSON),
    }),
    defineRoute({
      method: 'GET',
      path: '/health.json',
      permission: 'public',
      operationId: 'getReadiness',
      openapi: {
        contentType: 'application/health+json',
        responses: { 503: { description: 'not ready: the same report, with the failing checks', schema: readinessSchema, contentType: 'application/health+json' } },
      },
      summary: 'Readiness: one check per module (database, loops, leadership); 503 when failing or shutting down',
      tags: ['ops'],
      response: readinessSchema,
      handler: async () => {
        const report = await host.readiness();
        return reply(report.status === 'fail' ? 503 : 200, JSON.stringify(report), { 'cache-control': 'no-store' }, HEALTH_JSON);
      },
    }),
  ];
  if (metrics) {
    routes.push(
      defineRoute({
        method: 'GET',
        path: '/metrics',
        permission: options.metricsPermission ?? 'public',
        operationId: 'getMetrics',
        response: z.string().describe('Prometheus text exposition format'),
        openapi: { contentType: 'text/plain; version=0.0.4' },
        summary: 'Metrics in the Prometheus text format',
        tags: ['ops'],
        handler: async () => reply(200, await metrics.metrics(), { 'cache-control': 'no-store' }, metrics.contentType),
      }),
    );
  }
  return routes;
}
