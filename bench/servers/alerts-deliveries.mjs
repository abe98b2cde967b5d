// One process of the alerts-delivery benchmark, on the built packages. ROLE=queue puts COUNT alerts in the queue
// through the notifier (no worker); ROLE=work runs the delivery part from START_AT (epoch ms) until every alert in
// the queue is finished; ROLE=bare POSTs COUNT signed requests to the sink with nothing stored (the baseline).
// Prints one JSON line.
import { createEndpointDirectory, createNotifier, createRenderer, deliveryPart, webhookHeaders, webhookSecretKey } from '@aetherlink/alerts';
import { createEgressPolicy } from '@aetherlink/core';
import { sqliteStores } from '@aetherlink/adapters/sqlite';
import { openPostgresStores } from '@aetherlink/adapters/postgres';
import { createRequire } from 'node:module';

// undici as the alerts package has it (the workspace root does not list it).
const { Agent, request } = createRequire(new URL('../../packages/alerts/package.json', import.meta.url))('undici');

const role = process.env.ROLE;
const count = Number(process.env.COUNT ?? 5000);
const secret = process.env.SECRET;
const webhook = `webhook+${process.env.SINK_URL}/alerts`;
const egress = createEgressPolicy({ allowLoopback: true });
const open = () =>
  process.env.DATABASE_URL
    ? openPostgresStores({ connectionString: process.env.DATABASE_URL, schema: process.env.SCHEMA, instanceId: process.env.INSTANCE ?? 'bench' })
    : Promise.resolve(sqliteStores({ path: process.env.DB_PATH }));
const notification = (i) => ({
  status: 'firing',
  episode_id: `bench|${i}`,
  rule: { id: 'r-bench', name: 'bench-errors', severity: 'error', tenant: null },
  group: { source: `svc-${i % 16}` },
  count: 12,
  threshold: 5,
  window_seconds: 300,
  started_at: new Date().toISOString(),
  ended_at: null,
  event_id: `evt-${i}`,
  summary: 'bench-errors: 12 matching events in 300 s (threshold 5)',
});

if (role === 'queue') {
  const stores = await open();
  const endpoints = createEndpointDirectory({ documents: stores.documents, configured: [webhook], secret, egress });
  const notifier = createNotifier({ deliveries: stores.deliveries, endpoints, renderer: createRenderer(), maxAttempts: 8 });
  const t = performance.now();
  for (let i = 0; i < count; i += 100) await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, j) => notifier.notify(notification(i + j))));
  const ms = performance.now() - t;
  await stores.close();
  console.log(JSON.stringify({ queued: count, rate: (count / ms) * 1000 }));
} else if (role === 'work') {
  const stores = await open();
  const part = deliveryPart({ deliveries: stores.deliveries, documents: stores.documents, owner: process.env.INSTANCE ?? 'bench', webhooks: [webhook], secret, egress });
  await part.start();
  await new Promise((r) => setTimeout(r, Math.max(0, Number(process.env.START_AT) - Date.now())));
  const finished = async () => {
    const s = await stores.deliveries.stats(Date.now());
    return s.by_status.delivered + s.by_status.dead_letter >= count;
  };
  let leased = 0;
  while (!(await finished())) {
    leased += await part.worker.pump();
    await part.worker.idle();
    if (Date.now() - Number(process.env.START_AT) > 300_000) throw new Error('the queue was not finished within 300 s');
  }
  const endedAt = Date.now();
  const stats = await stores.deliveries.stats(Date.now());
  await part.close();
  await stores.close();
  console.log(JSON.stringify({ leased, ended_at: endedAt, delivered: stats.by_status.delivered, dead_letter: stats.by_status.dead_letter }));
} else if (role === 'bare') {
  // The same signed POSTs at the same concurrency (64), straight from memory: what the HTTP side alone costs.
  const key = webhookSecretKey(secret);
  const agent = new Agent();
  const url = `${process.env.SINK_URL}/bare`;
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const body = JSON.stringify({ text: 'bench', i: next });
      const headers = { 'content-type': 'application/json', ...webhookHeaders({ key, id: `bare-${next++}`, now: Date.now(), body }) };
      const res = await request(url, { method: 'POST', dispatcher: agent, headers, body });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`the sink answered ${res.statusCode}`);
    }
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: 64 }, lane));
  const ms = performance.now() - t;
  await agent.close();
  console.log(JSON.stringify({ sent: count, rate: (count / ms) * 1000 }));
} else {
  throw new Error(`ROLE must be queue, work or bare (got ${role})`);
}
