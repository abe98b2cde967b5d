import { createRequire } from 'node:module';
import {
  auditRoutes,
  buildOpenApi,
  createAuditLog,
  createEventBus,
  createSchemaRegistry,
  defineRoute,
  eventRoutes,
  headerPrincipalResolver,
  jwtPrincipalResolver,
  pinoAuditSink,
  type AnyRouteSpec,
  type AuditLog,
  type AuditSink,
  type EventBus,
  type PrincipalResolver,
} from '@aetherlink/core';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Config } from './config.js';
import { dashboardRoutes } from './dashboard.js';

const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface CommandCenter {
  app: FastifyInstance;
  bus: EventBus;
  audit: AuditLog;
  routes: AnyRouteSpec[];
  config: Config;
  version: string;
  close(): Promise<void>;
}

export interface CommandCenterOverrides {
  /** Extra audit sinks (tests use a memory sink). */
  auditSinks?: AuditSink[];
}

/**
 * Assembles the reference server: event pipeline, RBAC, audit and the seed's HTTP API on Fastify.
 * @example const cc = await createCommandCenter(loadConfig(process.env)); await cc.app.listen({ port: 8010 })
 */
export async function createCommandCenter(config: Config, overrides: CommandCenterOverrides = {}): Promise<CommandCenter> {
  const app = Fastify({
    logger: config.LOG_LEVEL === 'silent' ? false : { level: config.LOG_LEVEL, redact: ['req.headers.authorization'] },
    bodyLimit: 64 * 1024,
    forceCloseConnections: true,
  });
  const bus = createEventBus({
    source: config.SERVICE_NAME,
    registry: createSchemaRegistry({ strict: config.EVENTS_STRICT ?? false }),
  });
  const sinks: AuditSink[] = [...(overrides.auditSinks ?? [])];
  if (config.AUDIT_LOG !== 'off') sinks.push(pinoAuditSink({ destination: config.AUDIT_LOG === 'stdout' ? 1 : config.AUDIT_LOG }));
  const audit = createAuditLog({ service: config.SERVICE_NAME, sinks });

  const ping = (path: string) =>
    defineRoute({
      method: 'GET',
      path,
      permission: 'public',
      summary: 'Liveness: the service name and version',
      tags: ['ops'],
      response: z.object({ status: z.literal('ok'), service: z.string(), version: z.string() }),
      handler: () => ({ status: 'ok', service: config.SERVICE_NAME, version: VERSION }),
    });

  const routes: AnyRouteSpec[] = [ping('/ops/ping'), ping('/ping'), ...eventRoutes({ bus }), ...auditRoutes({ audit }), ...dashboardRoutes()];
  let openapi: Record<string, unknown> | undefined;
  routes.push(
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      permission: 'public',
      summary: 'This API, as OpenAPI 3.1, generated from the route specs',
      tags: ['docs'],
      handler: () => (openapi ??= buildOpenApi(routes, { title: 'AetherLink command center', version: VERSION })),
    }),
  );

  await app.register(aetherlinkFastify, {
    service: config.SERVICE_NAME,
    routes,
    audit,
    bus,
    principal: principalFor(config),
    onError: (error, where) => app.log.error({ err: error, ...where }, 'request failed unexpectedly'),
  });

  return {
    app,
    bus,
    audit,
    routes,
    config,
    version: VERSION,
    async close() {
      await app.close();
      await audit.close();
    },
  };
}

function principalFor(config: Config): PrincipalResolver {
  if (config.AUTH_MODE === 'jwt') {
    return jwtPrincipalResolver({
      issuer: config.JWT_ISSUER!,
      audience: config.JWT_AUDIENCE!,
      jwksUrl: config.JWT_JWKS_URL!,
      rolesClaim: config.JWT_ROLES_CLAIM,
    });
  }
  return headerPrincipalResolver();
}
