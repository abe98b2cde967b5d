// Mounts the AI routes on a real Fastify server with the AetherLink plugin, for the route and gateway tests.
// The router behind them can be swapped per test. Not part of the published package.
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import type { EventBus, Logger, PrincipalResolver } from '@aetherlink/core';
import Fastify from 'fastify';
import { aiRoutes } from '../routes.js';
import type { Router } from '../types.js';

export interface ServeRoutesOptions {
  bus?: EventBus;
  /** Fastify logs (pino JSON lines, every level) go here; the server's logger is `served.logger`. */
  logStream?: Writable;
  /** Default: the seed's `X-User-Roles` header. */
  principal?: PrincipalResolver;
}

export interface ServedRoutes {
  url: string;
  /** The server's logger (Fastify's pino), for the router under test to log through. */
  logger: Logger;
  /** The router the routes use from now on. */
  use(router: Router): void;
  close(): Promise<void>;
}

/**
 * Starts Fastify on 127.0.0.1:0 with `aiRoutes()` behind RBAC, validation and problem+json.
 * @example const served = await serveRoutes(); served.use(router)
 */
export async function serveRoutes(options: ServeRoutesOptions = {}): Promise<ServedRoutes> {
  let current: Router | undefined;
  const proxy = new Proxy({} as Router, {
    get(_target, key) {
      if (!current) throw new Error('no router in use');
      const value = current[key as keyof Router];
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
  });
  const app = Fastify({ forceCloseConnections: true, ...(options.logStream ? { logger: { level: 'trace', stream: options.logStream } } : {}) });
  const logger = app.log as unknown as Logger;
  await app.register(aetherlinkFastify, {
    service: 'ai-test',
    routes: aiRoutes({ router: proxy, logger }),
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.principal ? { principal: options.principal } : {}),
    onError: (error, where) => logger.error({ err: error, ...where }, 'request failed unexpectedly'),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    logger,
    use(router) {
      current?.close();
      current = router;
    },
    async close() {
      current?.close();
      await app.close();
    },
  };
}
