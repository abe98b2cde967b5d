// Mounts the AI routes on a real Fastify server with the AetherLink plugin, for the route and gateway tests.
// The router behind them can be swapped per test. Not part of the published package.
import type { AddressInfo } from 'node:net';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import type { EventBus } from '@aetherlink/core';
import Fastify from 'fastify';
import { aiRoutes } from '../routes.js';
import type { Router } from '../types.js';

export interface ServedRoutes {
  url: string;
  /** The router the routes use from now on. */
  use(router: Router): void;
  close(): Promise<void>;
}

/**
 * Starts Fastify on 127.0.0.1:0 with `aiRoutes()` behind RBAC, validation and problem+json.
 * @example const served = await serveRoutes(); served.use(router)
 */
export async function serveRoutes(bus?: EventBus): Promise<ServedRoutes> {
  let current: Router | undefined;
  const proxy = new Proxy({} as Router, {
    get(_target, key) {
      if (!current) throw new Error('no router in use');
      const value = current[key as keyof Router];
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(current) : value;
    },
  });
  const app = Fastify({ forceCloseConnections: true });
  await app.register(aetherlinkFastify, { service: 'ai-test', routes: aiRoutes({ router: proxy }), ...(bus ? { bus } : {}), onError: () => undefined });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
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
