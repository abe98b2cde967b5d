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
const N = Number(process.env.N ?? 20000);
const res = Object.fromEntries(modes.map((m) => [m, []]));
const opts = { method: 'GET', url: '/items/42', headers: { 'x-user-roles': 'viewer' } };
for (let rep = 0; rep < Number(process.env.REPS ?? 7); rep++) {
  for (const m of modes) {
    const app = apps[m];
    const t = performance.now();
    for (let i = 0; i < N; i++) { if (i % 200 === 0) await new Promise(setImmediate); const r = await app.inject(opts); if (r.statusCode !== 200) throw new Error(m + ' ' + r.statusCode); }
    res[m].push(((performance.now() - t) / N) * 1000);
  }
}
for (const m of modes) { const s = [...res[m]].sort((a, b) => a - b); console.log(m.padEnd(10), 'min', s[0].toFixed(2), 'med', s[Math.floor(s.length / 2)].toFixed(2), 'µs'); }
process.exit(0);
