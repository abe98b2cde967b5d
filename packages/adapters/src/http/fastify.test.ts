import type { AddressInfo } from 'node:net';
import { describeHttpAdapterContract } from '@aetherlink/core/testing';
import Fastify from 'fastify';
import { aetherlinkFastify } from './fastify.js';

describeHttpAdapterContract('fastify', async ({ guarded, ...options }) => {
  // Open SSE streams must not hold close() up.
  const app = Fastify({ forceCloseConnections: true });
  await app.register(aetherlinkFastify, options);
  app.get(guarded.path, { preHandler: app.aetherlink.guard(guarded.permission) }, async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  };
});
