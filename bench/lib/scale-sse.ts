import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, cpuSeconds, pinned, runScript, seriesRow, startProcess, type BenchReport } from './harness.js';
import { QUIET, REFERENCE } from './scale-events.js';

export interface SseRun {
  subscribers: number;
  stalled: number;
  publish: { p50_ms: number; p99_ms: number };
  /** Server CPU from the first publish until every reading subscriber had every event, seconds. */
  cpu: number;
  /** Fewest events a reading subscriber received. */
  minReceived: number;
}

/** Opens the subscribers in their own process; resolves once every stream is open, with a wait for their end. */
async function subscribe(url: string, count: number, stalled: number, expect: number): Promise<{ done: Promise<{ min: number }>; stop(): void }> {
  const [cmd, args] = pinned('load', [`${BENCH_DIR}servers/sse-subscribers.mjs`]);
  const proc = spawn(cmd, args, { env: { ...process.env, URL: url, COUNT: String(count), STALLED: String(stalled), EXPECT: String(expect) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stderr.on('data', (d: Buffer) => (out += d));
  const lines = new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('ready\n')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`sse subscribers exited with ${code} before they were ready:\n${out}`)));
  });
  await lines;
  const done = new Promise<{ min: number }>((resolve, reject) => {
    const read = () => {
      const m = /done (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]!) as { min: number });
    };
    proc.stdout.on('data', read);
    proc.once('exit', () => (read(), reject(new Error(`sse subscribers ended without a result:\n${out}`))));
  });
  return { done, stop: () => proc.kill('SIGTERM') };
}

/**
 * Publishes `events` at a steady rate to the reference server (SQLite) while `subscribers` streams (and `stalled`
 * ones that never read) follow /events/stream; measures publish latency and the server's CPU until every reading
 * stream had every event.
 */
export async function measureSse(subscribers: number, stalled: number, events: number, intervalMs: number): Promise<SseRun> {
  const dir = mkdtempSync(join(tmpdir(), 'aetherlink-sse-'));
  const server = await startProcess(REFERENCE, { ...QUIET, AETHERLINK_DB: join(dir, 'sse.db') });
  try {
    const streams = subscribers + stalled > 0 ? await subscribe(`${server.url}/events/stream`, subscribers, stalled, events) : undefined;
    const before = cpuSeconds(server.proc.pid!);
    const probe = await runScript<Record<string, { p50_ms: number; p99_ms: number; failed: number }>>('servers/latency-probe.mjs', {
      TARGETS: JSON.stringify([{ name: 'publish', url: `${server.url}/events/publish`, method: 'POST', body: `{"type":"bench.fanout","source":"bench","id":"f-{i}","data":{"n":{i},"host":"node-1"}}` }]),
      HEADERS: JSON.stringify({ 'x-user-roles': 'agent' }),
      COUNT: String(events),
      WARMUP: '0',
      INTERVAL_MS: String(intervalMs),
    });
    const publish = probe.publish!;
    if (publish.failed) throw new Error(`${publish.failed} publishes failed with ${subscribers} subscribers`);
    const received = streams ? await streams.done : { min: 0 };
    const cpu = cpuSeconds(server.proc.pid!) - before;
    streams?.stop();
    return { subscribers, stalled, publish, cpu, minReceived: received.min };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows and ratios of the fan-out runs: publish p99 against the run without subscribers, CPU per delivery. */
export function reportSse(runs: SseRun[], events: number): Pick<BenchReport, 'rows' | 'ratios' | 'info'> {
  const base = runs.find((r) => r.subscribers === 0 && r.stalled === 0)!;
  const ratios: BenchReport['ratios'] = [];
  const info: NonNullable<BenchReport['info']> = [];
  // Below five clock ticks of CPU the difference is the clock's resolution, not the fan-out: shown as –.
  const perDelivery = (r: SseRun) => (r.cpu - base.cpu < 0.05 ? Number.NaN : ((r.cpu - base.cpu) / (events * r.subscribers)) * 1e6);
  const name = (r: SseRun) => `${r.subscribers}${r.stalled ? ` + ${r.stalled} stalled` : ''}`;
  const readers = runs.filter((r) => r.subscribers > 0);
  const rows = [
    seriesRow('sse fan-out', `publish p50 ms (${events} events at a steady rate)`, runs.map(name), runs.map((r) => r.publish.p50_ms)),
    seriesRow('sse fan-out', 'publish p99 ms', runs.map(name), runs.map((r) => r.publish.p99_ms)),
    seriesRow('sse fan-out', 'server CPU s, first publish to last delivery', runs.map(name), runs.map((r) => r.cpu)),
    seriesRow('sse fan-out', 'µs server CPU per event per subscriber', readers.map(name), readers.map(perDelivery)),
    seriesRow('sse fan-out', 'fewest events a reading subscriber got', readers.map(name), readers.map((r) => r.minReceived), 0),
  ];
  for (const r of readers) {
    ratios.push({
      label: `sse: publish p99 with ${name(r)} subscribers / without subscribers`,
      value: r.publish.p99_ms / base.publish.p99_ms,
      max: 1.2,
      baseline: `without subscribers ${base.publish.p99_ms.toFixed(2)} ms; with ${r.publish.p99_ms.toFixed(2)} ms`,
    });
    ratios.push({ label: `sse: share of the ${events} events every reading subscriber got, ${name(r)} subscribers`, value: r.minReceived / events, min: 1 });
    if (Number.isFinite(perDelivery(r))) info.push({ label: `sse: µs server CPU per event per subscriber, ${name(r)} subscribers`, value: perDelivery(r) });
  }
  const stalledRun = runs.find((r) => r.stalled > 0);
  const peer = stalledRun && runs.find((r) => r.subscribers === stalledRun.subscribers && r.stalled === 0);
  if (stalledRun && peer) {
    ratios.push({
      label: `sse: publish p99 with one stalled subscriber among ${peer.subscribers} / without it`,
      value: stalledRun.publish.p99_ms / peer.publish.p99_ms,
      max: 1.2,
      baseline: `without it ${peer.publish.p99_ms.toFixed(2)} ms; with it ${stalledRun.publish.p99_ms.toFixed(2)} ms`,
    });
  }
  return { rows, ratios, info };
}
