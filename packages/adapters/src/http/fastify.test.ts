import type { AddressInfo } from 'node:net';
import { describeHttpAdapterContract } from '@aetherlink/core/testing';
import Fastify from 'fastify';
import { aetherlinkFastify } from './fastify.js';

describeHttpAdapterContract('fastify', async ({ guarded, ...options }) => {
  const app = Fastify();
  await app.register(aetherlinkFastify, options);
  app.get(guarded.path, { preHandler: app.aetherlink.guard(guarded.permission) }, async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  };
});
