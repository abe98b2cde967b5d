import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/postgres-server.js';
import { BENCH_DIR, median, pinned, type BenchReport } from './lib/harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COUNT = Number(process.env.BENCH_DELIVERIES ?? 5000);
const PACKAGE = `${BENCH_DIR}../packages/alerts/dist/index.js`;
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** Runs servers/alerts-deliveries.mjs in one role on the server CPU; resolves with its JSON line. */
function run(env: Record<string, string>): Promise<Record<string, number>> {
  const [cmd, args] = pinned('server', [`${BENCH_DIR}servers/alerts-deliveries.mjs`]);
  const proc = spawn(cmd, args, { cwd: BENCH_DIR, env: { ...process.env, NODE_ENV: 'production', SECRET, COUNT: String(COUNT), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d));
  proc.stderr.on('data', (d: Buffer) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${env.ROLE} did not finish in time:\n${out}`));
    }, 400_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`${env.ROLE} exited with ${code}:\n${out}`));
      resolve(JSON.parse(line) as Record<string, number>);
    });
  });
}

interface Sink {
  url: string;
  stop(): Promise<void>;
}

/** The sink on the load CPUs (the workers under test have the server CPU). */
function startSink(): Promise<Sink> {
  const [cmd, args] = pinned('load', [`${BENCH_DIR}servers/webhook-sink.mjs`]);
  const proc = spawn(cmd, args, { cwd: BENCH_DIR, env: { ...process.env, NODE_ENV: 'production', SECRET }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (d: Buffer) => (out += d));
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, stop: () => new Promise<void>((r) => (proc.exitCode !== null ? r() : (proc.once('exit', () => r()), proc.kill('SIGTERM')))) });
    });
    proc.once('exit', (code) => reject(new Error(`the sink exited with ${code}:\n${out}`)));
  });
}

const sinkStats = async (sink: Sink) => (await (await fetch(`${sink.url}/stats`)).json()) as { requests: number; unique: number; bad_signatures: number };

/** Queues COUNT alerts, then times their delivery by `instances` worker processes started together. */
async function durable(sink: Sink, db: Record<string, string>, instances: number) {
  const queued = await run({ ...db, ROLE: 'queue', SINK_URL: sink.url });
  const before = await sinkStats(sink);
  // Each process opens its stores first; all start working at the same moment.
  const startAt = Date.now() + 4000;
  const results = await Promise.all(Array.from({ length: instances }, (_, i) => run({ ...db, ROLE: 'work', SINK_URL: sink.url, INSTANCE: `bench-${i}`, START_AT: String(startAt) })));
  const after = await sinkStats(sink);
  const seconds = (Math.max(...results.map((r) => r.ended_at!)) - startAt) / 1000;
  const unique = after.unique - before.unique;
  if (unique !== COUNT) throw new Error(`the sink saw ${unique} distinct webhook-ids, not ${COUNT}`);
  if (after.bad_signatures !== before.bad_signatures) throw new Error(`${after.bad_signatures - before.bad_signatures} requests were not signed right`);
  return { rate: COUNT / seconds, duplicates: after.requests - before.requests - COUNT, queueRate: queued.rate! };
}

/**
 * Durable, signed alert deliveries per second to a local sink (another process, which verifies every signature):
 * COUNT alerts queued through the notifier, then delivered by the delivery part (lease, render-once payload, sign,
 * POST, record in batches) on SQLite with one instance and on PostgreSQL with two, beside the same signed POSTs sent
 * straight from memory. Every figure comes from this run.
 */
export default async function alertsDeliveryBench(): Promise<BenchReport> {
  if (!existsSync(PACKAGE)) throw new Error('packages/alerts/dist is missing: run `pnpm build` first');
  const rates: Record<'sqlite' | 'postgres' | 'bare', number[]> = { sqlite: [], postgres: [], bare: [] };
  const queueRates: Record<'sqlite' | 'postgres', number[]> = { sqlite: [], postgres: [] };
  let duplicates = 0;
  const pg = await startPostgres({ label: 'bench-alerts' });
  const dir = mkdtempSync(join(tmpdir(), 'aetherlink-bench-alerts-'));
  const sink = await startSink();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? (['postgres', 'bare', 'sqlite'] as const) : (['sqlite', 'bare', 'postgres'] as const);
      for (const variant of order) {
        if (variant === 'bare') {
          rates.bare.push((await run({ ROLE: 'bare', SINK_URL: sink.url })).rate!);
          continue;
        }
        const db: Record<string, string> = variant === 'sqlite' ? { DB_PATH: join(dir, `round-${round}.db`) } : { DATABASE_URL: pg.connectionString, SCHEMA: `bench_alerts_${round}` };
        const r = await durable(sink, db, variant === 'sqlite' ? 1 : 2);
        rates[variant].push(r.rate);
        queueRates[variant].push(r.queueRate);
        duplicates += r.duplicates;
      }
    }
  } finally {
    await sink.stop();
    await pg.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const row = (variant: string, list: number[]) => ({ variant, 'deliveries/s (median)': Math.round(median(list)), rounds: list.map(Math.round).join(' / ') });
  return {
    name: 'alerts-delivery',
    description: `${COUNT} alerts queued, then delivered signed (Standard Webhooks) to a sink in another process that verifies each signature; durable = leased from and recorded in the store; ${ROUNDS} alternating rounds, all in this run`,
    rows: [
      row('durable, SQLite (synchronous=FULL), 1 instance', rates.sqlite),
      row('durable, PostgreSQL, 2 instances', rates.postgres),
      row('bare signed POSTs from memory (undici, 64 in flight)', rates.bare),
    ],
    ratios: [{ label: 'durable signed deliveries/s, SQLite, 1 instance', value: median(rates.sqlite), min: 1000 }],
    info: [
      { label: 'durable signed deliveries/s, PostgreSQL, 2 instances', value: median(rates.postgres) },
      { label: 'SQLite durable / bare signed POSTs', value: median(rates.sqlite) / median(rates.bare) },
      { label: 'alerts queued/s through the notifier, SQLite (one commit each)', value: median(queueRates.sqlite) },
      { label: 'alerts queued/s through the notifier, PostgreSQL', value: median(queueRates.postgres) },
      { label: 'webhook-ids delivered more than once (all rounds)', value: duplicates },
    ],
    details: { rates, queueRates, duplicates },
  };
}
