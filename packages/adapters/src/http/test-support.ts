import type { AddressInfo } from 'node:net';
import type { HttpContractServer, HttpContractServerOptions } from '@aetherlink/core/testing';
import express from 'express';
import Fastify from 'fastify';
import { aetherlinkExpress, problemOnClientError } from './express.js';
import { aetherlinkFastify, aetherlinkServerOptions } from './fastify.js';

/**
 * The contract's server on Express: the router, a guarded route of the app's own, 404 and error handlers, and
 * problem+json for what Node's parser refuses.
 * @example describeHttpAdapterContract('express', startExpress)
 */
export async function startExpress({ guarded, ...options }: HttpContractServerOptions): Promise<HttpContractServer> {
  const app = express();
  const al = aetherlinkExpress(options);
  app.use(al.router);
  app.get(guarded.path, al.guard(guarded.permission), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(al.notFound, al.errorHandler);
  const server = app.listen(0, '127.0.0.1');
  server.on('clientError', problemOnClientError);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The contract's server on Fastify, opted in to problem+json for the whole app and for the framework's own rejections.
 * @example describeHttpAdapterContract('fastify', startFastify)
 */
export async function startFastify({ guarded, ...options }: HttpContractServerOptions): Promise<HttpContractServer> {
  // Open SSE streams must not hold close() up.
  const app = Fastify({ ...aetherlinkServerOptions(), forceCloseConnections: true });
  await app.register(aetherlinkFastify, { ...options, problemHandlers: true });
  app.get(guarded.path, { preHandler: app.aetherlink.guard(guarded.permission) }, async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: () => app.close(),
  };
}
