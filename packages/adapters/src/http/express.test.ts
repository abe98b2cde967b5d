import type { AddressInfo } from 'node:net';
import { describeHttpAdapterContract } from '@aetherlink/core/testing';
import express from 'express';
import { aetherlinkExpress } from './express.js';

describeHttpAdapterContract('express', async ({ guarded, ...options }) => {
  const app = express();
  const al = aetherlinkExpress(options);
  app.use(al.router);
  app.get(guarded.path, al.guard(guarded.permission), (_req, res) => {
    res.json({ ok: true });
  });
  app.use(al.notFound, al.errorHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
});
