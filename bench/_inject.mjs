import { createAuditLog, createMetricsRegistry, defineRoute, pinoAuditSink } from '@aetherlink/core';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import { aetherlinkExpress } from '@aetherlink/adapters/express';
import Fastify from 'fastify';
import { pino } from 'pino';
const answer = (id) => ({ id, ok: true });
async function make(mode) {
  const app = Fastify({ logger: false });
  const route = defineRoute({ method: 'GET', path: '/items/{id}', permission: 'ops:read', handler: ({ params }) => answer(params.id) });
  if (mode === 'bare') app.get('/items/:id', async (req) => answer(req.params.id));
  else if (mode === 'barehook') { app.addHook('onResponse', (req, reply, next) => { void reply.elapsedTime; next(); }); app.get('/items/:id', async (req) => answer(req.params.id)); }
  else if (mode === 'baresync') app.get('/items/:id', (req, reply) => { reply.code(200).headers({}).type('application/json; charset=utf-8'); reply.send(JSON.stringify(answer(req.params.id))); });
  else if (mode === 'bareschema') app.get('/items/:id', { schema: { response: { 200: { type: 'object', properties: { id: { type: 'string' }, ok: { type: 'boolean' } } } } } }, async (req) => answer(req.params.id));
  else if (mode === 'hand') {
    const log = pino(pino.destination({ dest: '/tmp/prof/hand.log', sync: false }));
    const allowed = new Set(['viewer', 'agent', 'operator', 'admin']);
    app.decorateRequest('roles', null);
    app.addHook('onRequest', async (req, reply) => { const h = req.headers['x-user-roles']; const roles = typeof h === 'string' ? h.split(',').map((r) => r.trim()).filter(Boolean) : []; if (!roles.length) return reply.code(401).send({}); if (!roles.some((r) => allowed.has(r))) return reply.code(403).send({}); req.roles = roles; });
    app.addHook('onResponse', async (req, reply) => { log.info({ method: req.method, path: req.routeOptions.url, status: reply.statusCode, roles: req.roles, client_ip: req.ip, duration_ms: reply.elapsedTime }); });
    app.get('/items/:id', async (req) => answer(req.params.id));
  } else {
    const audit = createAuditLog({ service: 'bench', sinks: mode === 'noaudit' ? [] : [pinoAuditSink({ destination: '/tmp/prof/al.log' })] });
    await app.register(aetherlinkFastify, { service: 'bench', routes: [route], audit, ...(mode === 'metrics' ? { metrics: createMetricsRegistry() } : {}) });
  }
  await app.ready();
  return app;
}
const modes = process.argv.slice(2).length ? process.argv.slice(2) : ['bare', 'al', 'noaudit', 'metrics', 'hand'];
const apps = Object.fromEntries(await Promise.all(modes.map(async (m) => [m, await make(m)])));
const B = Number(process.env.B ?? 250);
const BLOCKS = Number(process.env.BLOCKS ?? 60);
const total = Object.fromEntries(modes.map((m) => [m, 0]));
const opts = { method: 'GET', url: '/items/42', headers: { 'x-user-roles': 'viewer' } };
const run = async (m, n) => { const app = apps[m]; for (let i = 0; i < n; i++) { if (i % 100 === 0) await new Promise(setImmediate); const r = await app.inject(opts); if (r.statusCode !== 200) throw new Error(m + ' ' + r.statusCode); } };
for (const m of modes) await run(m, 3000); // warm up
const per = Object.fromEntries(modes.map((m) => [m, []]));
for (let b = 0; b < BLOCKS; b++) {
  for (let k = 0; k < modes.length; k++) {
    const m = modes[(k + b) % modes.length];
    const t = performance.now();
    await run(m, B);
    per[m].push((performance.now() - t) / B * 1000);
  }
}
const med = (l) => { const s = [...l].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const q = (l, p) => { const s = [...l].sort((a, b) => a - b); return s[Math.floor(s.length * p)]; };
for (const m of modes) console.log(m.padEnd(10), 'median', med(per[m]).toFixed(2), 'p25', q(per[m], 0.25).toFixed(2), 'µs/req', ' ratio to ' + modes[0] + ' (p25)', (q(per[modes[0]], 0.25) / q(per[m], 0.25)).toFixed(3));
process.exit(0);
