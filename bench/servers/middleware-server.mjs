// One route, on Fastify or Express, served one of these ways (MODE):
//   bare               the route alone
//   aetherlink         behind AetherLink: X-User-Roles principal, RBAC, audit to a file (AUDIT=none: records kept
//                      and counted, written nowhere: it separates the cost of the file from the rest)
//   aetherlink-metrics the same, plus the http_request_duration_seconds histogram the adapters record with `metrics`
//   handwritten        (Fastify) what a team writes without us: an onRequest role check and an onResponse pino line
//                      to a file through `pino.destination(file)`, the destination Fastify's own `logger: { file }`
//                      builds (asynchronous writes, a line handed to the file as soon as the previous write is done)
// Plain JavaScript on the built packages: what a user installs from npm, with no transpiler in the way.
import { createAuditLog, createMetricsRegistry, defineRoute, pinoAuditSink } from '@aetherlink/core';
import { aetherlinkExpress } from '@aetherlink/adapters/express';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import express from 'express';
import Fastify from 'fastify';
import { pino } from 'pino';

const framework = process.env.FRAMEWORK ?? 'fastify';
const mode = process.env.MODE ?? 'bare';
const auditFile = process.env.AUDIT_FILE ?? '/tmp/aetherlink-bench-audit.log';
const port = Number(process.env.PORT ?? 0);

const answer = (id) => ({ id, ok: true });
const route = defineRoute({ method: 'GET', path: '/items/{id}', permission: 'ops:read', handler: ({ params }) => answer(params.id) });
const audit = createAuditLog({ service: 'bench', sinks: process.env.AUDIT === 'none' ? [] : [pinoAuditSink({ destination: auditFile, ...(process.env.AUDIT_BATCH ? { batchSize: Number(process.env.AUDIT_BATCH) } : {}) })] });
const metrics = mode === 'aetherlink-metrics' ? createMetricsRegistry() : undefined;
const options = { service: 'bench', routes: [route], audit, ...(metrics ? { metrics } : {}) };
let closeLog = async () => {};

let address;
if (framework === 'fastify') {
  const app = Fastify({ logger: false });
  if (mode.startsWith('aetherlink')) await app.register(aetherlinkFastify, options);
  else if (mode === 'handwritten') handwritten(app);
  else app.get('/items/:id', async (req) => answer(req.params.id));
  address = await app.listen({ port, host: '127.0.0.1' });
} else {
  const app = express();
  if (mode.startsWith('aetherlink')) app.use(aetherlinkExpress(options).router);
  else app.get('/items/:id', (req, res) => void res.json(answer(req.params.id)));
  const server = app.listen(port, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  address = `http://127.0.0.1:${server.address().port}`;
}

function handwritten(app) {
  const log = pino(pino.destination(auditFile));
  closeLog = async () => log.flush();
  const allowed = new Set(['viewer', 'agent', 'operator', 'admin']);
  app.decorateRequest('roles', null);
  app.addHook('onRequest', async (req, reply) => {
    const header = req.headers['x-user-roles'];
    const roles = typeof header === 'string' ? header.split(',').map((r) => r.trim()).filter(Boolean) : [];
    if (roles.length === 0) return reply.code(401).send({ error: 'credentials are required' });
    if (!roles.some((r) => allowed.has(r))) return reply.code(403).send({ error: 'forbidden' });
    req.roles = roles;
  });
  app.addHook('onResponse', async (req, reply) => {
    log.info({ method: req.method, path: req.routeOptions.url, status: reply.statusCode, roles: req.roles, client_ip: req.ip, duration_ms: reply.elapsedTime });
  });
  app.get('/items/:id', async (req) => answer(req.params.id));
}

process.on('SIGTERM', () => {
  void Promise.all([audit.close(), closeLog()]).finally(() => process.exit(0));
});
process.stdout.write(`listening on ${address}\n`);
