// One route, served bare or behind AetherLink (header principal, RBAC, audit to a file), on Fastify or Express.
// Plain JavaScript on the built packages: what a user installs from npm, with no transpiler in the way.
import { createAuditLog, defineRoute, pinoAuditSink } from '@aetherlink/core';
import { aetherlinkExpress } from '@aetherlink/adapters/express';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import express from 'express';
import Fastify from 'fastify';

const framework = process.env.FRAMEWORK ?? 'fastify';
const mode = process.env.MODE ?? 'bare';
const auditFile = process.env.AUDIT_FILE ?? '/tmp/aetherlink-bench-audit.log';
const port = Number(process.env.PORT ?? 0);

const answer = (id) => ({ id, ok: true });
const route = defineRoute({ method: 'GET', path: '/items/{id}', permission: 'ops:read', handler: ({ params }) => answer(params.id) });
// AUDIT=none keeps the record-keeping (stats) but writes nowhere: it separates the cost of the file from the rest.
const audit = createAuditLog({ service: 'bench', sinks: process.env.AUDIT === 'none' ? [] : [pinoAuditSink({ destination: auditFile, ...(process.env.AUDIT_BATCH ? { batchSize: Number(process.env.AUDIT_BATCH) } : {}) })] });

let address;
if (framework === 'fastify') {
  const app = Fastify({ logger: false });
  if (mode === 'aetherlink') await app.register(aetherlinkFastify, { service: 'bench', routes: [route], audit });
  else app.get('/items/:id', async (req) => answer(req.params.id));
  address = await app.listen({ port, host: '127.0.0.1' });
} else {
  const app = express();
  if (mode === 'aetherlink') app.use(aetherlinkExpress({ service: 'bench', routes: [route], audit }).router);
  else app.get('/items/:id', (req, res) => void res.json(answer(req.params.id)));
  const server = app.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  address = `http://127.0.0.1:${server.address().port}`;
}
process.on('SIGTERM', () => {
  void audit.close().finally(() => process.exit(0));
});
process.stdout.write(`listening on ${address}\n`);
