// The soak (issue #17, item 5): the reference server as its own process under mixed load for a set time — publishes
// (some deliberately bad), readers, SSE subscribers, alert rules firing into a webhook receiver, a registered service
// probed, retention when the server has it — sampling its memory and event-loop delay from /metrics. Used by
// soak.test.ts (short, in CI) and by `pnpm soak <duration>` (scripts/soak.ts). No vitest here: the script runs alone.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startListeningProcess, type ListeningProcess } from '../../../../packages/core/src/testing/listening-process.js';
import { startLoad, startSink } from './load.js';

const CC = fileURLToPath(new URL('../../', import.meta.url));
export const SOAK_RESULTS = fileURLToPath(new URL('../../../../bench/results/soak.json', import.meta.url));

/** The bounds a soak must stay within: generous, for a busy shared machine. */
export const SOAK_BOUNDS = {
  /** End minus start, after the warm-up. */
  rssGrowthMb: 150,
  heapGrowthMb: 80,
  eventLoopP99Ms: 1000,
  routeP99Ms: 5000,
};

export interface SoakFigures {
  duration_s: number;
  requests: number;
  statuses: Record<string, number>;
  deliberate_errors: number;
  unexpected_errors: number;
  publishes_acknowledged: number;
  sse_messages: number;
  deliveries_received: number;
  memory_mb: { rss_start: number; rss_end: number; rss_max: number; heap_start: number; heap_end: number; heap_max: number };
  event_loop_p99_ms: { start: number; end: number; max: number };
  routes: Record<string, { count: number; p50_ms: number; p99_ms: number }>;
  samples: number;
  bounds: typeof SOAK_BOUNDS;
  failures: string[];
}

interface Sample {
  rss: number;
  heap: number;
  lagP99: number;
}

const metric = (text: string, name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0) * 10) / 10;
};

/** Starts the server as its own process on a free port; resolves with its address and a stopper (by its pid). */
function startProcess(env: Record<string, string>): Promise<ListeningProcess> {
  return startListeningProcess({
    name: 'the server',
    args: ['--import', 'tsx', '--conditions=@aetherlink/source', 'src/main.ts'],
    cwd: CC,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', AUDIT_LOG: 'off', SELF_REGISTER: 'false', ...env },
    timeoutMs: 90_000,
    stopGraceMs: 15_000,
  });
}

/**
 * Runs one soak and returns its figures; `failures` names every bound it broke. Writes nothing itself.
 * @example const figures = await runSoak({ durationMs: 90_000 })
 */
export async function runSoak(options: { durationMs: number; warmupMs?: number; sampleMs?: number; log?: (line: string) => void }): Promise<SoakFigures> {
  const warmupMs = options.warmupMs ?? Math.min(60_000, Math.round(options.durationMs / 6));
  const sampleMs = options.sampleMs ?? Math.max(2000, Math.min(30_000, Math.round(options.durationMs / 60)));
  const log = options.log ?? (() => undefined);
  const sink = await startSink('ok');
  const health = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}'));
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  const db = join(mkdtempSync(join(tmpdir(), 'aetherlink-soak-')), 'soak.db');
  const server = await startProcess({
    AETHERLINK_DB: db,
    ALERT_WEBHOOKS: `${sink.url}/soak`,
    ALERT_WEBHOOK_ALLOW_PRIVATE: 'true',
    ALERT_EVAL_INTERVAL_SECONDS: '1',
    DELIVERY_POLL_MS: '200',
    REGISTRY_PROBE_INTERVAL_SECONDS: '2',
    // Retention, once the server has it (unknown variables are ignored before): keeps the newest 20 000 events and
    // audit records, so a long soak reaches a steady size.
    RETENTION_EVENTS_MAX: '20000',
    RETENTION_AUDIT_MAX: '20000',
    RETENTION_INTERVAL_SECONDS: '5',
  });
  const operator = { 'x-user-roles': 'operator', 'content-type': 'application/json' };
  const samples: Sample[] = [];
  const failures: string[] = [];
  try {
    await fetch(`${server.url}/ops/register`, { method: 'POST', headers: operator, body: JSON.stringify({ name: 'soak-svc', url: `http://127.0.0.1:${(health.address() as AddressInfo).port}` }) });
    for (const [name, type, threshold] of [['soak errors', 'load.error', 50], ['soak infos', 'load.info', 20]] as const) {
      await fetch(`${server.url}/alerts/rules`, { method: 'POST', headers: operator, body: JSON.stringify({ name, event_type: type, window_seconds: 30, threshold, group_by: ['source'] }) });
    }
    const load = startLoad(server.url, { tag: 'soak', publishers: 4, subscribers: 4, sources: 20, latencies: true, badEvery: 50 });
    const started = Date.now();
    const sample = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      samples.push({ rss: metric(text, 'process_resident_memory_bytes'), heap: metric(text, 'nodejs_heap_size_used_bytes'), lagP99: metric(text, 'nodejs_eventloop_lag_p99_seconds') * 1000 });
    };
    await new Promise((r) => setTimeout(r, warmupMs));
    await sample();
    while (Date.now() - started < options.durationMs) {
      await new Promise((r) => setTimeout(r, Math.min(sampleMs, Math.max(0, options.durationMs - (Date.now() - started)))));
      await sample();
      const last = samples.at(-1)!;
      log(`soak ${Math.round((Date.now() - started) / 1000)} s: rss ${mb(last.rss)} MB, heap ${mb(last.heap)} MB, loop p99 ${last.lagP99.toFixed(1)} ms, ${load.acked.length} publishes`);
    }
    await load.stop();

    const statuses = Object.fromEntries([...load.statuses].map(([k, v]) => [String(k), v]));
    const deliberate = [...load.statuses].filter(([s]) => s < 0).reduce((n, [, v]) => n + v, 0);
    const unexpected = [...load.statuses].filter(([s]) => s >= 0 && (s < 200 || s >= 300)).reduce((n, [, v]) => n + v, 0);
    const wrongDeliberate = [...load.statuses].filter(([s]) => s < 0 && s !== -400).reduce((n, [, v]) => n + v, 0);
    const routes = Object.fromEntries([...load.latencies].map(([route, values]) => [route, { count: values.length, p50_ms: quantile(values, 0.5), p99_ms: quantile(values, 0.99) }]));
    const [first, last] = [samples[0]!, samples.at(-1)!];
    const figures: SoakFigures = {
      duration_s: Math.round((Date.now() - started) / 1000),
      requests: [...load.statuses.values()].reduce((a, b) => a + b, 0),
      statuses,
      deliberate_errors: deliberate,
      unexpected_errors: unexpected,
      publishes_acknowledged: load.acked.length,
      sse_messages: load.streamed(),
      deliveries_received: sink.received.length,
      memory_mb: {
        rss_start: mb(first.rss),
        rss_end: mb(last.rss),
        rss_max: mb(Math.max(...samples.map((s) => s.rss))),
        heap_start: mb(first.heap),
        heap_end: mb(last.heap),
        heap_max: mb(Math.max(...samples.map((s) => s.heap))),
      },
      event_loop_p99_ms: { start: Math.round(first.lagP99 * 10) / 10, end: Math.round(last.lagP99 * 10) / 10, max: Math.round(Math.max(...samples.map((s) => s.lagP99)) * 10) / 10 },
      routes,
      samples: samples.length,
      bounds: SOAK_BOUNDS,
      failures,
    };
    if (unexpected > 0) failures.push(`${unexpected} requests answered other than 2xx (statuses ${JSON.stringify(statuses)})`);
    if (wrongDeliberate > 0) failures.push(`${wrongDeliberate} deliberately bad publishes were not answered 400`);
    if (figures.memory_mb.rss_end - figures.memory_mb.rss_start > SOAK_BOUNDS.rssGrowthMb) failures.push(`RSS grew ${figures.memory_mb.rss_start} → ${figures.memory_mb.rss_end} MB`);
    if (figures.memory_mb.heap_end - figures.memory_mb.heap_start > SOAK_BOUNDS.heapGrowthMb) failures.push(`heap grew ${figures.memory_mb.heap_start} → ${figures.memory_mb.heap_end} MB`);
    if (figures.event_loop_p99_ms.end > SOAK_BOUNDS.eventLoopP99Ms) failures.push(`event-loop delay p99 ${figures.event_loop_p99_ms.end} ms at the end`);
    for (const [route, r] of Object.entries(routes)) if (r.p99_ms > SOAK_BOUNDS.routeP99Ms) failures.push(`${route} p99 ${r.p99_ms} ms`);
    if (load.acked.length === 0 || load.streamed() === 0 || sink.received.length === 0) failures.push('a part of the load did nothing (publishes, SSE or deliveries)');
    if (/request failed unexpectedly|unhandled/i.test(server.output())) failures.push('the server logged an unexpected error');
    return figures;
  } finally {
    await server.stop();
    await sink.close();
    await new Promise<void>((r) => health.close(() => r()));
  }
}

/**
 * Writes the figures to bench/results/soak.json.
 * @example writeSoakResults(figures)
 */
export function writeSoakResults(figures: SoakFigures, path = SOAK_RESULTS): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify({ measured_at: new Date().toISOString(), ...figures }, null, 2)}\n`);
}
