// Fills an event store with COUNT events through the store's own append (group commit), as a fleet's history:
// one event every INTERVAL_MS (default 30 days / 1M, 2.6 s) up to END_MS (default now), so the last hour holds the
// same events whatever the size and a larger store only has a longer past. Types, sources and severities go
// together as they do in a real fleet (health failures come from the registry and are errors or warnings, …).
// BACKEND=sqlite (DB, a file) or postgres (DATABASE_URL, SCHEMA). Prints one JSON line: { count, ms }.
import { sqliteStores } from '@aetherlink/adapters/sqlite';
import { openPostgresStores } from '@aetherlink/adapters/postgres';

const count = Number(process.env.COUNT ?? 10_000);
const interval = Number(process.env.INTERVAL_MS ?? (30 * 86_400_000) / 1_000_000);
const end = Number(process.env.END_MS ?? Date.now());
const chunk = Number(process.env.CHUNK ?? 5000);

// [share, type, sources, severities (weights info, warning, error, critical)]
const MIX = [
  [30, 'ai.provider.used', ['ai-router'], [1, 0, 0, 0]],
  [33, 'app.request.served', Array.from({ length: 50 }, (_, i) => `svc-${String(i).padStart(2, '0')}`), [9, 1, 0, 0]],
  [8, 'lead.created', ['crm'], [1, 0, 0, 0]],
  [6, 'service.health.failed', ['registry'], [0, 3, 7, 0]],
  [4, 'autoheal.attempted', ['autoheal'], [0, 1, 0, 0]],
  [3, 'autoheal.succeeded', ['autoheal'], [1, 0, 0, 0]],
  [1, 'autoheal.failed', ['autoheal'], [0, 0, 8, 2]],
  [5, 'ops.alert.raised', ['alerts'], [0, 5, 4, 1]],
  [5, 'security.rbac.violation', ['aetherlink-command-center'], [0, 1, 0, 0]],
  [5, 'ai.fallback.used', ['ai-router'], [0, 1, 0, 0]],
];
const SEVERITIES = ['info', 'warning', 'error', 'critical'];
let state = 42;
const random = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (weights) => {
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) if ((r -= weights[i]) < 0) return i;
  return weights.length - 1;
};
const event = (i) => {
  const [, type, sources, severity] = MIX[pick(MIX.map((m) => m[0]))];
  const at = new Date(end - (count - 1 - i) * interval).toISOString();
  const source = sources[Math.floor(random() * sources.length)];
  return {
    event: { specversion: '1.0', id: `seed-${i}`, source, type, time: at, datacontenttype: 'application/json', severity: SEVERITIES[pick(severity)], data: { service: source, latency_ms: Math.round(random() * 500), n: i } },
    at,
  };
};

const stores =
  process.env.BACKEND === 'postgres'
    ? await openPostgresStores({ connectionString: process.env.DATABASE_URL, schema: process.env.SCHEMA, poolSize: 4 })
    : sqliteStores({ path: process.env.DB, synchronous: 'NORMAL' });
const started = performance.now();
for (let from = 0; from < count; from += chunk) {
  const batch = [];
  for (let i = from; i < Math.min(count, from + chunk); i++) {
    const { event: e, at } = event(i);
    batch.push(stores.events.append(e, at));
  }
  await Promise.all(batch);
}
const ms = performance.now() - started;
// A server that has run for a while has its statistics from autovacuum; a store filled a moment ago not yet.
if (process.env.BACKEND === 'postgres') await stores.pool.query(`ANALYZE "${stores.schema}".events`);
await stores.close();
process.stdout.write(`${JSON.stringify({ count, ms })}\n`);
