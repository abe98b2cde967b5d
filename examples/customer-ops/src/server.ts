import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { aetherlinkExpress, problemOnClientError } from '@aetherlink/adapters/express';
import { createRouter, extractLeadIntent, routerOptionsFromConfig, summarizeActivityIntent, type Router } from '@aetherlink/ai-router';
import {
  createAuditLog,
  createEventBus,
  createMetricsRegistry,
  createModuleHost,
  createShutdown,
  memoryEventStore,
  opsRoutes,
  pinoAuditSink,
  type AuditSink,
  type Clock,
  type EventBus,
  type ModuleHost,
  type Shutdown,
} from '@aetherlink/core';
import { selfRegistrationModule } from '@aetherlink/registry';
import express, { type Express } from 'express';
import { pino } from 'pino';
import { commandCenterClient } from './command-center.js';
import type { Config } from './config.js';
import { crmModule } from './module.js';
import { crmPolicy } from './policy.js';
import { openCrmStore, type CrmStore } from './store/store.js';

/** This package's version, as it registers itself. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export interface CustomerOps {
  app: Express;
  host: ModuleHost;
  store: CrmStore;
  bus: EventBus;
  router: Router;
  shutdown: Shutdown;
  /** Listens, then starts the modules (outbox loop, self-registration); resolves with the address. */
  listen(): Promise<string>;
  /** The graceful shutdown (deregisters, finishes requests, flushes the outbox), without exiting the process. */
  close(): Promise<void>;
}

export interface CustomerOpsOverrides {
  /** The AI router (tests point it at fake providers). Default: built from the config's AI variables. */
  aiRouter?: Router;
  auditSinks?: AuditSink[];
  /** Where log lines go. Default stdout. */
  logStream?: { write(line: string): void };
  clock?: Clock;
  /** What a finished shutdown calls (main passes process.exit). */
  exit?: (code: number) => void;
}

const INTENTS = [extractLeadIntent, summarizeActivityIntent];

/**
 * The customer-ops service: an Express app serving the CRM module behind AetherLink's RBAC and audit, with
 * /metrics and health, registered with the command center while it runs.
 * @example const ops = await createCustomerOps(loadConfig(process.env)); await ops.listen()
 */
export async function createCustomerOps(config: Config, overrides: CustomerOpsOverrides = {}): Promise<CustomerOps> {
  const logger = pino({ level: config.LOG_LEVEL, base: { service: config.SERVICE_NAME } }, overrides.logStream ?? pino.destination(1));
  const log = (component: string) => logger.child({ component });
  const clock = overrides.clock;
  const store = openCrmStore({ path: config.CRM_DB, ...(clock ? { clock } : {}) });
  const metrics = createMetricsRegistry();
  // The local bus holds only what this process emits (RBAC violations, AI use); the command center keeps history.
  const bus = createEventBus({ source: config.SERVICE_NAME, store: memoryEventStore({ maxEvents: 1000 }), logger: log('bus'), ...(clock ? { clock } : {}) });
  const sinks: AuditSink[] = [...(overrides.auditSinks ?? [])];
  if (config.AUDIT_LOG !== 'off') sinks.push(pinoAuditSink({ destination: config.AUDIT_LOG === 'stdout' ? 1 : config.AUDIT_LOG }));
  const audit = createAuditLog({ service: config.SERVICE_NAME, sinks, logger: log('audit') });
  const router = overrides.aiRouter ?? createRouter(routerOptionsFromConfig(config.ai, { bus, logger: log('ai-router'), intents: INTENTS }));
  const commandCenter =
    config.COMMAND_CENTER_URL === 'none'
      ? undefined
      : commandCenterClient({ url: config.COMMAND_CENTER_URL, ...(config.COMMAND_CENTER_TOKEN ? { token: config.COMMAND_CENTER_TOKEN } : {}), ...(clock ? { clock } : {}) });

  let address: string | undefined;
  const publicUrl = () => config.PUBLIC_URL ?? address!.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  const crm = crmModule({ store, source: config.SERVICE_NAME, router, bus, forwardIntervalMs: config.FORWARD_INTERVAL_MS, maxRetryDelayMs: config.FORWARD_RETRY_MAX_MS, logger: log('crm'), ...(commandCenter ? { commandCenter } : {}), ...(clock ? { clock } : {}) });
  const registration =
    config.COMMAND_CENTER_URL === 'none'
      ? []
      : [
          selfRegistrationModule({
            controlPlaneUrl: config.COMMAND_CENTER_URL,
            service: () => ({ name: config.SERVICE_NAME, url: publicUrl(), health_url: `${publicUrl()}/health`, version: VERSION, tags: ['crm', 'example'], roles_required: ['agent', 'viewer'] }),
            auth: config.COMMAND_CENTER_TOKEN ? { bearer: config.COMMAND_CENTER_TOKEN } : { roles: ['operator'] },
            logger: log('self-registration'),
          }),
        ];
  const host = createModuleHost({ modules: [crm, ...registration], schemas: bus.registry, metrics, logger: log('host'), version: VERSION, ...(clock ? { clock } : {}) });

  const app = express();
  app.disable('x-powered-by');
  const al = aetherlinkExpress({
    service: config.SERVICE_NAME,
    routes: [...host.routes(), ...opsRoutes({ host, metrics })],
    policy: crmPolicy(),
    audit,
    bus,
    metrics,
    logger: log('http'),
  });
  app.use(al.router);
  app.use(al.notFound, al.errorHandler);

  let server: Server | undefined;
  const shutdown = createShutdown({
    host,
    server: {
      name: 'http server',
      close: () =>
        new Promise<void>((resolve) => {
          if (!server) return resolve();
          server.close(() => resolve());
          server.closeIdleConnections();
        }),
    },
    resources: [
      { name: 'ai router', close: () => router.close() },
      { name: 'command center client', close: () => commandCenter?.close() },
      { name: 'audit log', close: () => audit.close() },
      { name: 'event bus', close: () => bus.close() },
      { name: 'crm store', close: () => store.close() },
    ],
    deadlineMs: config.SHUTDOWN_TIMEOUT_MS,
    logger: log('shutdown'),
    exit: overrides.exit ?? (() => undefined),
  });

  return {
    app,
    host,
    store,
    bus,
    router,
    shutdown,
    async listen() {
      server = app.listen(config.PORT, config.HOST);
      server.on('clientError', problemOnClientError);
      await new Promise<void>((resolve, reject) => {
        server!.once('listening', resolve);
        server!.once('error', reject);
      });
      const { port } = server.address() as AddressInfo;
      address = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
      await host.start();
      return address;
    },
    close: () => shutdown.run('closing'),
  };
}
