import { memoryRegistryStore, type RegistryStore } from '@aetherlink/core';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { createRegistry } from '../registry.js';
import { registryRoutes } from '../routes.js';
import type { Registry } from '../types.js';

export interface TestControlPlane {
  url: string;
  port: number;
  registry: Registry;
  /** Requests by `METHOD path-template`. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A real control plane (Fastify + the registry routes) on 127.0.0.1, on port 0 unless a port is given (a restart).
 * @example const cp = await startControlPlane({ port: previous.port, store })
 */
export async function startControlPlane(options: { port?: number; store?: RegistryStore } = {}): Promise<TestControlPlane> {
  const registry = createRegistry({ store: options.store ?? memoryRegistryStore() });
  const app = Fastify({ forceCloseConnections: true });
  const requests: string[] = [];
  app.addHook('onResponse', (req, _reply, done) => {
    requests.push(`${req.method} ${req.routeOptions.url ?? req.url}`);
    done();
  });
  await app.register(aetherlinkFastify, { service: 'control-plane', routes: registryRoutes({ registry }) });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    registry,
    requests,
    async close() {
      registry.close();
      await app.close();
    },
  };
}
