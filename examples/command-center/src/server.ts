import {
  auditModule,
  createAuditLog,
  createEgressPolicy,
  createEventBus,
  createMetricsRegistry,
  createModuleHost,
  createSchemaRegistry,
  createShutdown,
  eventsModule,
  headerPrincipalResolver,
  instanceId,
  jwtPrincipalResolver,
  opsRoutes,
  pinoAuditSink,
  retentionModule,
  storesReadiness,
  traceLogFields,
  type AnyRouteSpec,
  type AuditLog,
  type AuditSink,
  type EgressPolicyOptions,
  type EventBus,
  type MetricsRegistry,
  type ModuleHost,
  type PrincipalResolver,
  type RuntimeAdapter,
  type Shutdown,
  type Stores,
} from '@aetherlink/core';
import { autohealModule, type AutoHealer } from '@aetherlink/autoheal';
import { aetherlinkFastify, aetherlinkServerOptions } from '@aetherlink/adapters/fastify';
import { alertsModule, type Notifier } from '@aetherlink/alerts';
import { aiRouterModule, createRouter, parseRouterEnv, routerOptionsFromConfig, type RouterConfig, type Router } from '@aetherlink/ai-router';
import { DEFAULT_PROBE_EGRESS, instanceServiceName, registryModule, selfRegistrationModule, type HealthChecker, type Registry } from '@aetherlink/registry';
import Fastify, { type FastifyInstance } from 'fastify';
import { retentionPolicyOf, type Config } from './config.js';
import { consoleModule } from './console-module.js';
import { openRuntime } from './runtime.js';
import { openStores, type OpenedStores } from './stores.js';
import { VERSION } from './version.js';


export interface CommandCenter {
  app: FastifyInstance;
  host: ModuleHost;
  bus: EventBus;
  audit: AuditLog;
  registry: Registry;
  checker: HealthChecker;
  ai: Router;
  autoheal: AutoHealer;
  routes: AnyRouteSpec[];
  stores: Stores;
  metrics: MetricsRegistry;
  config: Config;
  version: string;
  /** This process among its peers. */
  instance: string;
  shutdown: Shutdown;
  /** Listens, then starts the modules (loops, self-registration); resolves with the address. */
  listen(): Promise<string>;
  /** Starts the modules without listening (tests that use `app.inject`). */
  start(): Promise<void>;
  /** The graceful shutdown, without exiting the process. */
  close(): Promise<void>;
}

export interface CommandCenterOverrides {
  /** Extra audit sinks (tests use a memory sink). */
  auditSinks?: AuditSink[];
  /** Stores opened by the caller (default: from AETHERLINK_DB or DATABASE_URL). */
  stores?: OpenedStores;
  /** The AI router (tests point it at fake providers). Default: built from `config.ai` (or `env`). */
  aiRouter?: Router;
  /** Where alert notices go (tests record them). */
  alertNotifier?: Notifier;
  /** Where the AI router reads PROVIDER_ORDER, *_BASE_URL, *_API_KEY, *_MODEL instead of the config's variables. */
  env?: Record<string, string | undefined>;
  /** Where auto-heal restarts (tests pass a recording runtime). Default: AUTOHEAL_RUNTIME's. */
  runtime?: RuntimeAdapter | null;
  /** How outbound calls made on someone's say-so look host names up (tests answer as DNS would). Default: the system's. */
  egressResolve?: EgressPolicyOptions['resolve'];
  /** Where the server's log lines go (tests read them). Default: stdout. */
  logStream?: { write(line: string): void };
  /** What a finished shutdown calls (main passes process.exit). Default: nothing. */
  exit?: (code: number) => void;
}

/**
 * The reference server: shared services (stores, bus, audit, leader election, logger, metrics) and a list of
 * modules, on Fastify.
 * @example const cc = await createCommandCenter(loadConfig(process.env)); await cc.listen()
 */
export async function createCommandCenter(config: Config, overrides: CommandCenterOverrides = {}): Promise<CommandCenter> {
  const app = Fastify({
    // Framework and parser rejections (bad URL encoding, long path parameters, oversized headers) as problem+json.
    ...aetherlinkServerOptions(),
    logger:
      config.LOG_LEVEL === 'silent'
        ? false
        : {
            level: config.LOG_LEVEL,
            redact: ['req.headers.authorization'],
            // A query string may carry a token (`?access_token=`, a signed link): its names are logged, not its values.
            serializers: { req: (req: { method: string; url: string }) => ({ method: req.method, url: withoutQueryValues(req.url) }) },
            // Lines logged while a request is handled name its trace (trace_id, span_id).
            mixin: traceLogFields,
            ...(overrides.logStream ? { stream: overrides.logStream } : {}),
          },
    bodyLimit: 64 * 1024,
  });
  const instance = config.INSTANCE_ID ?? instanceId();
  // Provider variables were checked by loadConfig (or here, for `env`) before any database is touched.
  const aiConfig = overrides.env ? parseRouterEnv(overrides.env) : config.ai;
  const opened = overrides.stores ?? (await openStores(config, instance, app.log.child({ component: 'stores' })));
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
  const log = (component: string) => app.log.child({ component });
  const metrics = createMetricsRegistry();
  const bus = createEventBus({
    source: config.SERVICE_NAME,
    store: stores.events,
    registry: createSchemaRegistry({ strict: config.EVENTS_STRICT ?? false }),
    logger: log('bus'),
  });
  const sinks: AuditSink[] = [...(overrides.auditSinks ?? [])];
  if (config.AUDIT_LOG !== 'off') sinks.push(pinoAuditSink({ destination: config.AUDIT_LOG === 'stdout' ? 1 : config.AUDIT_LOG }));
  const audit = createAuditLog({ service: config.SERVICE_NAME, sinks, store: stores.audit, logger: log('audit') });

  const allowPrivate = config.REGISTRY_PROBE_ALLOW_PRIVATE ?? DEFAULT_PROBE_EGRESS.allowPrivate;
  // Registry probes and auto-heal checks go to the same internal services, under one policy.
  const resolve = overrides.egressResolve ? { resolve: overrides.egressResolve } : {};
  const probeEgress = createEgressPolicy({ allowPrivate, allowLoopback: allowPrivate, allow: config.REGISTRY_PROBE_ALLOW, deny: config.REGISTRY_PROBE_DENY, ...resolve });
  const registry = registryModule({
    store: stores.registry,
    bus,
    source: config.SERVICE_NAME,
    criticalForMs: config.REGISTRY_CRITICAL_FOR_SECONDS * 1000,
    logger: log('registry'),
    probe: {
      intervalMs: config.REGISTRY_PROBE_INTERVAL_SECONDS * 1000,
      concurrency: config.REGISTRY_PROBE_CONCURRENCY,
      timeoutMs: config.REGISTRY_PROBE_TIMEOUT_MS,
      egress: probeEgress,
    },
  });
  const opened = overrides.runtime !== undefined ? { runtime: overrides.runtime } : await openRuntime(config, log('autoheal'));
  const autoheal = autohealModule({
    runtime: opened.runtime,
    ...(opened.start ? { onStart: opened.start } : {}),
    targets: config.autoheal.targets,
    ...(config.AUTOHEAL_PULL_FROM_REGISTRY ? { registry: registry.registry } : {}),
    bus,
    documents: stores.documents,
    history: stores.heal,
    egress: probeEgress,
    logger: log('autoheal'),
    policy: {
      intervalMs: config.AUTOHEAL_INTERVAL_SECONDS * 1000,
      failureThreshold: config.AUTOHEAL_FAILURE_THRESHOLD,
      checkTimeoutMs: config.AUTOHEAL_CHECK_TIMEOUT_MS,
      dryRun: config.AUTOHEAL_DRY_RUN ?? false,
    },
  });
  const ai = aiRouterModule({
    router: overrides.aiRouter ?? createRouter(routerOptionsFromConfig(aiConfig, { bus, logger: log('ai-router') })),
    logger: log('ai-router'),
  });
  const webhooksPrivate = config.ALERT_WEBHOOK_ALLOW_PRIVATE ?? false;
  const alerts = alertsModule({
    deliveries: stores.deliveries,
    documents: stores.documents,
    owner: instance,
    pollMs: config.DELIVERY_POLL_MS,
    webhooks: config.ALERT_WEBHOOKS,
    ...(config.ALERT_WEBHOOK_SECRET ? { secret: config.ALERT_WEBHOOK_SECRET } : {}),
    egress: createEgressPolicy({ allowPrivate: webhooksPrivate, allowLoopback: webhooksPrivate, allow: config.ALERT_WEBHOOK_ALLOW, deny: config.ALERT_WEBHOOK_DENY, ...resolve }),
    timeoutMs: config.ALERT_WEBHOOK_TIMEOUT_MS,
    retry: { scheduleMs: config.ALERT_WEBHOOK_RETRY_SCHEDULE },
    rules: { bus, evaluationIntervalMs: config.ALERT_EVAL_INTERVAL_SECONDS * 1000, source: config.SERVICE_NAME },
    ...(overrides.alertNotifier ? { notifier: overrides.alertNotifier } : {}),
    logger: log('alerts'),
  });

  let address: string | undefined;
  const selfRegistration =
    config.SELF_REGISTER === false
      ? []
      : [
          selfRegistrationModule({
            controlPlaneUrl: () => address!.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:'),
            // Instances sharing one database each register under their own name.
            service: () => ({
              name: config.DATABASE_URL ? instanceServiceName(config.SERVICE_NAME, instance) : config.SERVICE_NAME,
              url: config.PUBLIC_URL ?? address!,
              version: VERSION,
              tags: ['control-plane'],
            }),
            auth: config.AUTH_MODE === 'jwt' ? { bearer: config.SELF_REGISTER_TOKEN! } : { roles: ['operator'] },
            logger: log('self-registration'),
          }),
        ];

  const routes: AnyRouteSpec[] = [];
  const host: ModuleHost = createModuleHost({
    modules: [
      eventsModule({ bus }),
      auditModule({ audit }),
      registry,
      autoheal,
      ai,
      alerts,
      retentionModule({
        stores,
        policy: retentionPolicyOf(config),
        intervalMs: config.RETENTION_INTERVAL_SECONDS * 1000,
        batchSize: config.RETENTION_BATCH,
        share: config.RETENTION_SHARE,
        logger: log('retention'),
      }),
      consoleModule({
        service: config.SERVICE_NAME,
        version: VERSION,
        instance,
        where,
        authMode: config.AUTH_MODE,
        loops: () => host.loops,
        routes: () => routes,
        providers: () => ai.router.providerNames(),
      }),
      ...selfRegistration,
    ],
    schemas: bus.registry,
    leader,
    metrics,
    readiness: [storesReadiness(stores)],
    logger: log('host'),
    version: VERSION,
    serviceId: instance,
  });
  routes.push(...host.routes(), ...opsRoutes({ host, metrics, metricsPermission: config.METRICS_PERMISSION }));

  await app.register(aetherlinkFastify, {
    service: config.SERVICE_NAME,
    routes,
    audit,
    bus,
    metrics,
    principal: principalFor(config),
    // Requests join the caller's W3C trace, or (TRACE_START) start one. Off by default: on Node 22 the first traced
    // request switches on async context tracking, which makes every await of the process dearer.
    trace: { start: config.TRACE_START ?? false },
    // Stream writes a second across the process: a thousand busy dashboards cost half the writes, spread evenly.
    sse: { writesPerSecond: config.SSE_WRITES_PER_SECOND },
    // Every 4xx of the whole app, not only the route specs', answers problem+json.
    problemHandlers: true,
    // Named fields only: nothing of the request's headers or body reaches the log.
    onError: (error, where) =>
      app.log.error({ err: error, method: where.method, route: where.path, request_id: where.request_id, trace_id: where.trace_id }, 'request failed unexpectedly'),
  });

  const shutdown = createShutdown({
    host,
    // Waits for requests in flight; idle keep-alive connections close at once, and streams end as modules drain.
    server: { name: 'http server', close: () => app.close() },
    resources: [
      { name: 'audit log', close: () => audit.close() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'leader election', close: () => leader.close?.() },
      { name: 'stores', close: () => stores.close() },
    ],
    deadlineMs: config.SHUTDOWN_TIMEOUT_MS,
    drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS,
    logger: log('shutdown'),
    exit: overrides.exit ?? (() => undefined),
  });

  return {
    app,
    host,
    bus,
    audit,
    registry: registry.registry,
    checker: registry.checker,
    ai: ai.router,
    autoheal: autoheal.healer,
    routes,
    stores,
    metrics,
    config,
    version: VERSION,
    instance,
    shutdown,
    async listen() {
      address = await app.listen({ port: config.PORT, host: config.HOST });
      await host.start();
      return address;
    },
    start: () => host.start(),
    close: () => shutdown.run('closing'),
  };
}

/** `/events/recent?source=x&limit=5` → `/events/recent?source=…&limit=…`. */
function withoutQueryValues(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? url : `${url.slice(0, at)}?${url.slice(at + 1).replace(/=[^&]*/g, '=…')}`;
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
