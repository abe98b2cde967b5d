import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, cpuSeconds, pinned, runScript, startProcess, type BenchReport } from './harness.js';
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
  const rows: BenchReport['rows'] = [];
  const ratios: BenchReport['ratios'] = [];
  const info: NonNullable<BenchReport['info']> = [];
  const perDelivery = (r: SseRun) => ((r.cpu - base.cpu) / (events * r.subscribers)) * 1e6;
  for (const r of runs) {
    const name = `${r.subscribers} subscribers${r.stalled ? ` + ${r.stalled} stalled` : ''}`;
    rows.push({
      part: 'sse fan-out',
      subscribers: name,
      'publish p50 ms': Number(r.publish.p50_ms.toFixed(2)),
      'publish p99 ms': Number(r.publish.p99_ms.toFixed(2)),
      'server CPU s': Number(r.cpu.toFixed(2)),
      'µs CPU per event per subscriber': r.subscribers ? Number(perDelivery(r).toFixed(2)) : '–',
      'fewest events a reader got': r.subscribers ? r.minReceived : '–',
    });
    if (r === base) continue;
    ratios.push({ label: `sse: publish p99 with ${name} / without subscribers`, value: r.publish.p99_ms / base.publish.p99_ms, max: 1.2 });
    ratios.push({ label: `sse: events every reading subscriber got, of ${events}, with ${name}`, value: r.minReceived / events, min: 1 });
    info.push({ label: `sse: server µs CPU per event per subscriber, ${name}`, value: perDelivery(r) });
  }
  const stalledRun = runs.find((r) => r.stalled > 0);
  const peer = stalledRun && runs.find((r) => r.subscribers === stalledRun.subscribers && r.stalled === 0);
  if (stalledRun && peer) ratios.push({ label: `sse: publish p99 with one stalled subscriber among ${peer.subscribers} / without it`, value: stalledRun.publish.p99_ms / peer.publish.p99_ms, max: 1.2 });
  const counts = runs.filter((r) => r.subscribers > 0 && r.stalled === 0).map((r) => r.subscribers);
  const most = runs.find((r) => r.subscribers === Math.max(...counts) && !r.stalled);
  const fewest = runs.find((r) => r.subscribers === Math.min(...counts) && !r.stalled);
  if (most && fewest && most !== fewest) info.push({ label: `sse: µs CPU per event per subscriber at ${most.subscribers} / at ${fewest.subscribers}`, value: perDelivery(most) / perDelivery(fewest) });
  return { rows, ratios, info };
}
