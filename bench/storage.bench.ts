import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../test/postgres-server.js';
import { BENCH_DIR, median, pinEventLoop, startProcess, type BenchReport } from './lib/harness.js';
import { measureInTurn } from './lib/in-turn.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const COUNT = Number(process.env.BENCH_APPENDS ?? 100_000);
const HTTP_CYCLES = Number(process.env.BENCH_HTTP_CYCLES ?? 12);
const HTTP_LIFETIMES = Number(process.env.BENCH_LIFETIMES ?? 4);
const HTTP_WINDOW = Number(process.env.BENCH_WINDOW ?? 2);

/**
 * Runs servers/storage-appends.mjs for one variant in its own process; returns appends per second. Once its stores
 * are open it waits while its main thread is pinned to the server CPU (the writer thread it started stays free,
 * as startProcess leaves a server's threads), then measures.
 */
function appends(variant: string, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [`${BENCH_DIR}servers/storage-appends.mjs`], {
      cwd: BENCH_DIR,
      env: { ...process.env, VARIANT: variant, COUNT: String(COUNT), PIN_HANDSHAKE: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.startsWith('pin\n') && !proc.stdin.writableEnded) {
        pinEventLoop(proc.pid!);
        proc.stdin.end('go\n');
      }
    });
    proc.stderr.on('data', (d: Buffer) => (out += d));
    proc.once('exit', (code) => (code === 0 ? resolve((JSON.parse(out.trim().split('\n').pop()!) as { rate: number }).rate) : reject(new Error(`${variant} failed:\n${out}`))));
  });
}

/**
 * Event appends through the bus (memory, SQLite, PostgreSQL), each beside its bare baseline (records pushed to an
 * array, an INSERT loop in one transaction), and HTTP publishes to the reference server on SQLite beside a bare
 * Fastify route; every figure from this run, in-process variants alternating round by round, HTTP servers loaded
 * in turn. Compare figures only within one run: another run on a shared machine differs by more than most changes do.
 */
export default async function storageBench(): Promise<BenchReport> {
  const rows: BenchReport['rows'] = [];
  const rates: Record<string, number[]> = { 'bare-memory': [], memory: [], 'bare-sqlite': [], sqlite: [], 'bare-postgres': [], postgres: [] };
  const pg = await startPostgres({ label: 'bench' });
  try {
    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const order = Object.keys(rates);
      for (const variant of round % 2 ? order.reverse() : order) {
        // PostgreSQL's bare loop pays a round trip per row: fewer rows keep the run short.
        const count = variant.endsWith('postgres') ? String(Math.min(COUNT, 20_000)) : String(COUNT);
        rates[variant]!.push(await appends(variant, { DATABASE_URL: pg.connectionString, SCHEMA: `bench_${++n}`, COUNT: count }));
      }
    }
  } finally {
    await pg.destroy();
  }
  for (const [variant, list] of Object.entries(rates)) {
    rows.push({ measure: 'appends/s in-process', variant, 'median': Math.round(median(list)), rounds: list.map(Math.round).join(' / ') });
  }

  // The reference server as configured by default (synchronous=FULL), and with AETHERLINK_DB_SYNC=normal for
  // context: NORMAL survives a process crash, FULL also a power loss, at the price of a WAL sync per commit.
  // All three run at once and one load process loads them in turn, window after window, over several lifetimes of
  // fresh processes (see measureInTurn), so that drift on the machine falls on each alike.
  const variants = ['bare', 'reference', 'reference-normal'] as const;
  const body = JSON.stringify({ type: 'bench.http', source: 'autocannon', severity: 'info', data: { host: 'node-1', n: 1 } });
  const dirs: string[] = [];
  const measured = await measureInTurn({
    variants,
    start: (variant) => {
      if (variant === 'bare') return startProcess('servers/publish-bare.mjs', {});
      const dir = mkdtempSync(join(tmpdir(), 'aetherlink-bench-'));
      dirs.push(dir);
      return startProcess('../examples/command-center/dist/main.js', {
        AETHERLINK_DB: join(dir, 'aetherlink.db'),
        AUDIT_LOG: join(dir, 'audit.log'),
        LOG_LEVEL: 'warn',
        DELIVERY_POLL_MS: '1000',
        AETHERLINK_DB_SYNC: variant === 'reference-normal' ? 'normal' : 'full',
      });
    },
    target: { path: '/events/publish', method: 'POST', body, headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' } },
    lifetimes: HTTP_LIFETIMES,
    cycles: Math.ceil(HTTP_CYCLES / HTTP_LIFETIMES),
    windowSec: HTTP_WINDOW,
    connections: 100,
    cleanup: () => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })),
  });
  const http: Record<string, number[]> = {};
  for (const variant of variants) {
    const m = measured[variant]!;
    if (m.errors || m.non2xx) throw new Error(`${variant}: ${m.errors} errors, ${m.non2xx} non-2xx answers`);
    http[variant] = m.rps;
  }
  for (const [variant, list] of Object.entries(http)) {
    const label = { bare: 'bare Fastify route', reference: 'reference server (SQLite, sync FULL, default)', 'reference-normal': 'reference server (SQLite, sync NORMAL)' }[variant];
    rows.push({ measure: 'HTTP publishes/s', variant: label ?? variant, 'median': Math.round(median(list)), rounds: list.map(Math.round).join(' / ') });
  }
  const pair = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));
  const per = (name: string, list: number[], unit: string) => `${name} ${Math.round(median(list)).toLocaleString('en-US')} ${unit}`;
  return {
    name: 'storage',
    description: `appends through the bus (${COUNT} events, 256 in flight; SQLite synchronous=FULL) vs a bare loop (array push; INSERTs in one transaction) for memory, SQLite and PostgreSQL; ${ROUNDS} alternating rounds; HTTP publish (100 connections) vs a bare route, all three servers running at once, loaded in turn: ${HTTP_LIFETIMES} lifetimes of fresh processes × ${Math.ceil(HTTP_CYCLES / HTTP_LIFETIMES)} rotating cycles of ${HTTP_WINDOW} s windows; all in this run`,
    rows,
    ratios: [
      {
        label: 'SQLite bus appends / bare transactional INSERT loop',
        value: pair(rates.sqlite!, rates['bare-sqlite']!),
        min: 0.5,
        baseline: `${per('bare INSERT loop', rates['bare-sqlite']!, 'rows/s')}; ${per('bus', rates.sqlite!, 'appends/s')} (medians)`,
      },
      {
        label: 'HTTP publish on SQLite / bare Fastify route',
        value: pair(http.reference!, http.bare!),
        min: 0.6,
        baseline: `${per('bare route', http.bare!, 'req/s')}; ${per('reference server', http.reference!, 'publishes/s')} (medians)`,
      },
    ],
    // No targets for these: context for the figures above, each against its own baseline from this run.
    info: [
      { label: 'memory bus appends / bare array push loop', value: pair(rates.memory!, rates['bare-memory']!) },
      { label: 'PostgreSQL bus appends (group commit) / bare INSERT loop in one transaction', value: pair(rates.postgres!, rates['bare-postgres']!) },
      { label: 'HTTP publish on SQLite, sync NORMAL / sync FULL (default)', value: pair(http['reference-normal']!, http.reference!) },
    ],
    details: { rates, http },
  };
}
