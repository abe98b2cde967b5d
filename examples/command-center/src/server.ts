import { createRequire } from 'node:module';
import {
  auditRoutes,
  buildOpenApi,
  createAuditLog,
  createEgressPolicy,
  createEventBus,
  createLoop,
  createSchemaRegistry,
  defineRoute,
  eventRoutes,
  headerPrincipalResolver,
  instanceId,
  jwtPrincipalResolver,
  pinoAuditSink,
  soleLeader,
  type AnyRouteSpec,
  type AuditLog,
  type AuditSink,
  type EventBus,
  type Loop,
  type PrincipalResolver,
  type Stores,
} from '@aetherlink/core';
import { aetherlinkFastify, aetherlinkServerOptions } from '@aetherlink/adapters/fastify';
import { createDeliveryWorker, jsonWebhookSender } from '@aetherlink/alerts';
import { aiRoutes, createRouter, parseRouterEnv, routerOptionsFromConfig, type RouterConfig, type Router } from '@aetherlink/ai-router';
import { createHealthChecker, createRegistry, DEFAULT_PROBE_EGRESS, registryRoutes, type HealthChecker, type Registry } from '@aetherlink/registry';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Config } from './config.js';
import { dashboardRoutes } from './dashboard.js';
import { openStores, type OpenedStores } from './stores.js';

const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface CommandCenter {
  app: FastifyInstance;
  bus: EventBus;
  audit: AuditLog;
  registry: Registry;
  checker: HealthChecker;
  ai: Router;
  routes: AnyRouteSpec[];
  stores: Stores;
  config: Config;
  version: string;
  /** This process among its peers. */
  instance: string;
  loops: Loop[];
  close(): Promise<void>;
}

export interface CommandCenterOverrides {
  /** Extra audit sinks (tests use a memory sink). */
  auditSinks?: AuditSink[];
  /** Stores opened by the caller (default: from AETHERLINK_DB or DATABASE_URL). */
  stores?: OpenedStores;
  /** The AI router (tests point it at fake providers). Default: built from `config.ai` (or `env`). */
  aiRouter?: Router;
  /** Where the AI router reads PROVIDER_ORDER, *_BASE_URL, *_API_KEY, *_MODEL instead of the config's variables. */
  env?: Record<string, string | undefined>;
  /** Where the server's log lines go (tests read them). Default: stdout. */
  logStream?: { write(line: string): void };
}

/**
 * Assembles the reference server: event pipeline, RBAC, audit and the seed's HTTP API on Fastify.
 * @example const cc = await createCommandCenter(loadConfig(process.env)); await cc.app.listen({ port: 8010 })
 */
export async function createCommandCenter(config: Config, overrides: CommandCenterOverrides = {}): Promise<CommandCenter> {
  const app = Fastify({
    // Framework and parser rejections (bad URL encoding, long path parameters, oversized headers) as problem+json.
    ...aetherlinkServerOptions(),
    logger:
      config.LOG_LEVEL === 'silent'
        ? false
        : { level: config.LOG_LEVEL, redact: ['req.headers.authorization'], ...(overrides.logStream ? { stream: overrides.logStream } : {}) },
    bodyLimit: 64 * 1024,
    forceCloseConnections: true,
  });
  const instance = config.INSTANCE_ID ?? instanceId();
  // Provider variables were checked by loadConfig (or here, for `env`) before any database is touched.
  const aiConfig = overrides.env ? parseRouterEnv(overrides.env) : config.ai;
  const opened = overrides.stores ?? (await openStores(config, instance));
  try {
    return await assemble(config, overrides, app, instance, aiConfig, opened);
  } catch (error) {
    await app.close().catch(() => undefined);
    await opened.leader.close?.().catch(() => undefined);
    await opened.stores.close().catch(() => undefined);
    throw error;
  }
}

async function assemble(
  config: Config,
  overrides: CommandCenterOverrides,
  app: FastifyInstance,
  instance: string,
  aiConfig: RouterConfig,
  { stores, leader, where }: OpenedStores,
): Promise<CommandCenter> {
  const bus = createEventBus({
    source: config.SERVICE_NAME,
    store: stores.events,
    registry: createSchemaRegistry({ strict: config.EVENTS_STRICT ?? false }),
  });
  const sinks: AuditSink[] = [...(overrides.auditSinks ?? [])];
  if (config.AUDIT_LOG !== 'off') sinks.push(pinoAuditSink({ destination: config.AUDIT_LOG === 'stdout' ? 1 : config.AUDIT_LOG }));
  const audit = createAuditLog({ service: config.SERVICE_NAME, sinks, store: stores.audit });

  // Every instance works the delivery queue (each lease goes to one of them); once-per-fleet loops need the lead.
  const worker = createDeliveryWorker({ store: stores.deliveries, send: jsonWebhookSender(), owner: instance });
  const onLoopError = (name: string) => (error: unknown) => app.log.error({ err: error, loop: name }, `background loop ${name} failed`);
  const ai = overrides.aiRouter ?? createRouter(routerOptionsFromConfig(aiConfig, { bus, logger: app.log }));
  const registry = createRegistry({ store: stores.registry, bus, source: config.SERVICE_NAME, criticalForMs: config.REGISTRY_CRITICAL_FOR_SECONDS * 1000, logger: app.log.child({ component: 'registry' }) });
  const allowPrivate = config.REGISTRY_PROBE_ALLOW_PRIVATE ?? DEFAULT_PROBE_EGRESS.allowPrivate;
  const egress = createEgressPolicy({ allowPrivate, allowLoopback: allowPrivate, allow: config.REGISTRY_PROBE_ALLOW, deny: config.REGISTRY_PROBE_DENY });
  const checker = createHealthChecker({
    registry,
    egress,
    logger: app.log.child({ component: 'registry.checker' }),
    concurrency: config.REGISTRY_PROBE_CONCURRENCY,
    timeoutMs: config.REGISTRY_PROBE_TIMEOUT_MS,
  });
  const loops: Loop[] = [
    createLoop({ name: 'deliveries', intervalMs: config.DELIVERY_POLL_MS, leader: soleLeader(), run: (signal) => worker.runOnce(signal), onError: onLoopError('deliveries') }),
    createLoop({ name: 'lease-expiry', intervalMs: 5000, leader, run: () => stores.deliveries.releaseExpired(Date.now()), onError: onLoopError('lease-expiry') }),
    createLoop({ name: 'registry-probe', intervalMs: config.REGISTRY_PROBE_INTERVAL_SECONDS * 1000, leader, run: (signal) => checker.checkAll({ signal }), onError: onLoopError('registry-probe') }),
    createLoop({ name: 'registry-leases', intervalMs: 5000, leader, run: () => registry.expireLeases(), onError: onLoopError('registry-leases') }),
  ];

  const ping = (path: string, extra: () => Record<string, unknown> = () => ({})) =>
    defineRoute({
      method: 'GET',
      path,
      permission: 'public',
      summary: 'Liveness: the service name and version',
      tags: ['ops'],
      response: z.object({ status: z.literal('ok'), service: z.string(), version: z.string(), providers: z.array(z.string()).optional() }),
      handler: () => ({ status: 'ok', service: config.SERVICE_NAME, version: VERSION, ...extra() }),
    });

  const instanceRoute = defineRoute({
    method: 'GET',
    path: '/ops/instance',
    // Where the data lives (a file path, a database host) is for operators, not every viewer.
    permission: 'ops:operate',
    summary: 'This instance: its id, where its data lives, and which background loops it runs',
    tags: ['ops'],
    handler: () => ({
      instance,
      version: VERSION,
      store: where,
      loops: loops.map((l) => ({ name: l.name, active: l.active(), last_run: l.lastRun() === null ? null : new Date(l.lastRun()!).toISOString() })),
    }),
  });
  const routes: AnyRouteSpec[] = [
    ping('/ops/ping'),
    // The seed's AI orchestrator answered /ping with its provider order.
    ping('/ping', () => ({ providers: ai.providerNames() })),
    instanceRoute,
    ...registryRoutes({ registry, checker }),
    ...eventRoutes({ bus }),
    ...auditRoutes({ audit }),
    ...aiRoutes({ router: ai }),
    ...dashboardRoutes(),
  ];
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
    // Every 4xx of the whole app, not only the route specs', answers problem+json.
    problemHandlers: true,
    // Named fields only: nothing of the request's headers or body reaches the log.
    onError: (error, where) => app.log.error({ err: error, method: where.method, route: where.path, request_id: where.request_id }, 'request failed unexpectedly'),
  });

  for (const loop of loops) loop.start();

  return {
    app,
    bus,
    audit,
    registry,
    checker,
    ai,
    routes,
    stores,
    config,
    version: VERSION,
    instance,
    loops,
    async close() {
      await Promise.all(loops.map((l) => l.stop()));
      // Ends long-polling change-feed waits, which would otherwise hold app.close() up.
      registry.close();
      await ai.close();
      await app.close();
      await checker.close();
      await audit.close();
      bus.close();
      await leader.close?.();
      await stores.close();
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
