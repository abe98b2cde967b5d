// Run inside the fresh project: the installed packages doing real work — SQLite stores, the Express middleware
// and the Fastify plugin serving the event routes with RBAC — on 127.0.0.1.
import { createAuditLog, createEventBus, eventRoutes, memoryAuditSink } from '@aetherlink/core';
import { aetherlinkExpress } from '@aetherlink/adapters/express';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import { sqliteStores } from '@aetherlink/adapters/sqlite';
import express from 'express';
import Fastify from 'fastify';

const stores = sqliteStores({ path: ':memory:' });
const bus = createEventBus({ source: 'pack-check', store: stores.events });
const sink = memoryAuditSink();
const audit = createAuditLog({ service: 'pack-check', sinks: [sink] });
const options = { service: 'pack-check', routes: eventRoutes({ bus }), audit, bus };

async function exercise(url, framework) {
  const publish = await fetch(`${url}/events/publish`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' },
    body: JSON.stringify({ type: 'lead.created', source: framework, data: { lead_id: 1 } }),
  });
  if (publish.status !== 200) throw new Error(`${framework}: publish answered ${publish.status}`);
  if ((await fetch(`${url}/events/recent`)).status !== 401) throw new Error(`${framework}: no credentials did not answer 401`);
  const recent = await (await fetch(`${url}/events/recent?source=${framework}`, { headers: { 'x-user-roles': 'viewer' } })).json();
  if (recent.count !== 1) throw new Error(`${framework}: ${recent.count} events stored, expected 1`);
}

const app = express();
const al = aetherlinkExpress(options);
app.use(al.router);
app.use(al.notFound, al.errorHandler);
const server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
await exercise(`http://127.0.0.1:${server.address().port}`, 'express');
server.closeAllConnections();
server.close();

const fastify = Fastify();
await fastify.register(aetherlinkFastify, options);
await exercise(await fastify.listen({ port: 0, host: '127.0.0.1' }), 'fastify');
await fastify.close();

await audit.close();
await bus.close();
await stores.close();
process.stdout.write(`${sink.records().length} audited requests`);
