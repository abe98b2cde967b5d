// Appends per second, in one process on the built packages: through the bus into a store, or a bare INSERT loop.
// Prints one JSON line: { rate, count, ms }. With PIN_HANDSHAKE=1 it prints `pin` once its stores (and their
// threads) are open and waits for a line on stdin before it starts the clock: the bench pins its main thread then.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus, memoryEventStore } from '@aetherlink/core';
import { sqliteStores } from '@aetherlink/adapters/sqlite';
import { openPostgresStores } from '@aetherlink/adapters/postgres';
import pg from 'pg';

const variant = process.env.VARIANT ?? 'memory';
const count = Number(process.env.COUNT ?? 100_000);
const inFlight = Number(process.env.CONCURRENCY ?? 256);
const dir = mkdtempSync(join(tmpdir(), 'aetherlink-bench-'));

async function started() {
  if (process.env.PIN_HANDSHAKE !== '1') return;
  process.stdout.write('pin\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
}

const event = (i) => ({ type: 'bench.appended', source: 'bench', id: `e${i}`, severity: i % 10 ? 'info' : 'warning', data: { i, host: 'node-1', note: 'a small payload' } });

async function viaBus(store) {
  const bus = createEventBus({ store });
  await started();
  let next = 0;
  const lane = async () => {
    while (next < count) await bus.publish(event(next++));
  };
  const t = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  return performance.now() - t;
}

async function bareMemory() {
  await started();
  // The baseline for the memory store: the same records kept as one copy each in an array, in one loop.
  const kept = [];
  const now = new Date().toISOString();
  const t = performance.now();
  for (let i = 0; i < count; i++) kept.push({ ...event(i), received_at: now, seq: i + 1 });
  const ms = performance.now() - t;
  if (kept.length !== count) throw new Error('bare-memory kept the wrong number of records');
  return ms;
}

async function bareSqlite() {
  // The baseline: the same row shape inserted by one prepared statement in one transaction, as fast as SQLite goes.
  const stores = sqliteStores({ path: join(dir, 'bare.db') });
  const db = stores.db;
  const insert = db.prepare(
    'INSERT INTO events (id, source, type, time, time_ms, severity, tenantid, subject, traceparent, dataschema, datacontenttype, data, received_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL, ?, ?, ?)',
  );
  const now = new Date().toISOString();
  await started();
  const t = performance.now();
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const e = event(i);
      insert.run(e.id, e.source, e.type, now, Date.parse(now), e.severity, 'application/json', JSON.stringify(e.data), now);
    }
  }).immediate();
  return performance.now() - t;
}

async function barePostgres() {
  // The baseline: the same rows by one prepared INSERT each, awaited in turn, in one transaction.
  const stores = await openPostgresStores({ connectionString: process.env.DATABASE_URL, schema: process.env.SCHEMA });
  await stores.close();
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query(`SET search_path TO "${process.env.SCHEMA}"`);
  const now = new Date().toISOString();
  await started();
  const t = performance.now();
  await client.query('BEGIN');
  for (let i = 0; i < count; i++) {
    const e = event(i);
    await client.query({
      name: 'bare-insert',
      text: 'INSERT INTO events (id, source, type, time, severity, datacontenttype, data, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      values: [e.id, e.source, e.type, now, e.severity, 'application/json', JSON.stringify(e.data), now],
    });
  }
  await client.query('COMMIT');
  const ms = performance.now() - t;
  await client.end();
  return ms;
}

let ms;
if (variant === 'memory') ms = await viaBus(memoryEventStore({ maxEvents: count + 10 }));
else if (variant === 'bare-memory') ms = await bareMemory();
else if (variant === 'sqlite') {
  const stores = sqliteStores({ path: join(dir, 'bus.db') });
  ms = await viaBus(stores.events);
  await stores.close();
} else if (variant === 'bare-sqlite') ms = await bareSqlite();
else if (variant === 'postgres') {
  const stores = await openPostgresStores({ connectionString: process.env.DATABASE_URL, schema: process.env.SCHEMA });
  ms = await viaBus(stores.events);
  await stores.close();
} else if (variant === 'bare-postgres') ms = await barePostgres();
else throw new Error(`unknown VARIANT ${variant}`);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ rate: (count / ms) * 1000, count, ms })}\n`);
