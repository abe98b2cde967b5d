import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, cpuSeconds, median, pinned, runScript, seriesRow, startProcess, type BenchReport } from './harness.js';
import { QUIET, REFERENCE } from './scale-events.js';

export interface SseRun {
  subscribers: number;
  stalled: number;
  publish: { p50_ms: number; p99_ms: number };
  /** The same over the warm-up publishes of a fresh server (and client), which `publish` leaves out. */
  warmup: { p50_ms: number; p99_ms: number; n: number };
  /** Server CPU from the first publish (warm-up included) until every reading subscriber had every event, seconds. */
  cpu: number;
  /** Fewest events a reading subscriber received. */
  minReceived: number;
  /** Publish sent → event read by a subscriber (sampled streams, warm-up left out), ms; null without subscribers. */
  delivery: { p50_ms: number | null; p99_ms: number | null; n: number };
}

type Received = { min: number; delivery: SseRun['delivery'] };

/** Opens the subscribers in their own process; resolves once every stream is open, with a wait for their end. */
async function subscribe(url: string, count: number, stalled: number, expect: number): Promise<{ done: Promise<Received>; stop(): void }> {
  const [cmd, args] = pinned('load', [`${BENCH_DIR}servers/sse-subscribers.mjs`]);
  const proc = spawn(cmd, args, { env: { ...process.env, URL: url, COUNT: String(count), STALLED: String(stalled), EXPECT: String(expect), WARMUP: String(SSE_WARMUP) }, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const done = new Promise<Received>((resolve, reject) => {
    const read = () => {
      const m = /done (\{.*\})/.exec(out);
      if (m) resolve(JSON.parse(m[1]!) as Received);
    };
    proc.stdout.on('data', read);
    proc.once('exit', () => (read(), reject(new Error(`sse subscribers ended without a result:\n${out}`))));
  });
  return { done, stop: () => proc.kill('SIGTERM') };
}

/**
 * Publishes of a fresh server left out of the latency figures (reported apart): at first the fan-out's code and the
 * probe's run unoptimised, and with 100 subscribers the slowest publishes of a run were all among its first ~30.
 */
export const SSE_WARMUP = 100;

/**
 * Publishes `events` at a steady rate to the reference server (SQLite), after SSE_WARMUP publishes at the same
 * rate, while `subscribers` streams (and `stalled` ones that never read) follow /events/stream; measures publish
 * latency and the server's CPU until every reading stream had every event.
 */
export async function measureSse(subscribers: number, stalled: number, events: number, intervalMs: number): Promise<SseRun> {
  const dir = mkdtempSync(join(tmpdir(), 'aetherlink-sse-'));
  const server = await startProcess(REFERENCE, { ...QUIET, AETHERLINK_DB: join(dir, 'sse.db') });
  try {
    const published = SSE_WARMUP + events;
    const streams = subscribers + stalled > 0 ? await subscribe(`${server.url}/events/stream`, subscribers, stalled, published) : undefined;
    const before = cpuSeconds(server.proc.pid!);
    type Figures = { p50_ms: number; p99_ms: number; n: number };
    const probe = await runScript<Record<string, Figures & { failed: number; warmup: Figures }>>('servers/latency-probe.mjs', {
      TARGETS: JSON.stringify([{ name: 'publish', url: `${server.url}/events/publish`, method: 'POST', body: `{"type":"bench.fanout","source":"bench","id":"f-{i}","data":{"n":{i},"host":"node-1","sent":{now}}}` }]),
      HEADERS: JSON.stringify({ 'x-user-roles': 'agent' }),
      COUNT: String(events),
      WARMUP: String(SSE_WARMUP),
      INTERVAL_MS: String(intervalMs),
    });
    const publish = probe.publish!;
    if (publish.failed) throw new Error(`${publish.failed} publishes failed with ${subscribers} subscribers`);
    const received: Received = streams ? await streams.done : { min: 0, delivery: { p50_ms: null, p99_ms: null, n: 0 } };
    const cpu = cpuSeconds(server.proc.pid!) - before;
    streams?.stop();
    return { subscribers, stalled, publish: { p50_ms: publish.p50_ms, p99_ms: publish.p99_ms }, warmup: publish.warmup, cpu, minReceived: received.min, delivery: received.delivery };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The configurations of a fan-out comparison: none, each subscriber count, and the middle one plus a stalled stream. */
export function sseConfigs(subscribers: readonly number[]): [subscribers: number, stalled: number][] {
  return [[0, 0], ...subscribers.map((n): [number, number] => [n, 0]), [subscribers[1] ?? subscribers[0]!, 1]];
}

/**
 * Measures every configuration once per round, the order rotating round by round so that drift on a shared
 * machine hits all alike; `rounds[r][c]` is configuration c's run in round r.
 */
export async function measureSseRounds(subscribers: readonly number[], events: number, intervalMs: number, rounds: number): Promise<SseRun[][]> {
  const configs = sseConfigs(subscribers);
  const out: SseRun[][] = [];
  for (let round = 0; round < rounds; round++) {
    const runs: SseRun[] = new Array(configs.length);
    for (let k = 0; k < configs.length; k++) {
      const c = (k + round) % configs.length;
      runs[c] = await measureSse(configs[c]![0], configs[c]![1], events, intervalMs);
    }
    out.push(runs);
  }
  return out;
}

/**
 * Rows (medians over rounds) and ratios of the fan-out runs: each configuration's publish p99 against the run
 * without subscribers of the same round (the median of those paired ratios), CPU per delivery, every event to
 * every reading stream in every round.
 */
export function reportSse(rounds: SseRun[][], events: number): Pick<BenchReport, 'rows' | 'ratios' | 'info'> {
  const ratios: BenchReport['ratios'] = [];
  const info: NonNullable<BenchReport['info']> = [];
  const configs = rounds[0]!;
  const base = configs.findIndex((r) => r.subscribers === 0 && r.stalled === 0);
  const across = (c: number, f: (r: SseRun, round: SseRun[]) => number) => median(rounds.map((round) => f(round[c]!, round)));
  const name = (r: SseRun) => `${r.subscribers}${r.stalled ? ` + ${r.stalled} stalled` : ''}`;
  // Under 10,000 deliveries the fan-out costs less CPU than a fresh server's CPU varies from run to run (~0.2 s),
  // and below five clock ticks the difference is the clock's resolution: both shown as –.
  const perDelivery = (r: SseRun, round: SseRun[]) => {
    const extra = r.cpu - round[base]!.cpu;
    const deliveries = (SSE_WARMUP + events) * r.subscribers;
    return extra < 0.05 || deliveries < 10_000 ? Number.NaN : (extra / deliveries) * 1e6;
  };
  const all = configs.map((_, c) => c);
  const readers = all.filter((c) => configs[c]!.subscribers > 0);
  const names = (list: number[]) => list.map((c) => name(configs[c]!));
  const rows = [
    seriesRow('sse fan-out', `publish p50 ms (${events} events at a steady rate, median of ${rounds.length} rounds)`, names(all), all.map((c) => across(c, (r) => r.publish.p50_ms))),
    seriesRow('sse fan-out', 'publish p99 ms', names(all), all.map((c) => across(c, (r) => r.publish.p99_ms))),
    seriesRow('sse fan-out', 'delivery p50 ms: publish sent → event read by a subscriber (up to 100 sampled streams)', names(readers), readers.map((c) => across(c, (r) => r.delivery.p50_ms ?? Number.NaN))),
    seriesRow('sse fan-out', 'delivery p99 ms', names(readers), readers.map((c) => across(c, (r) => r.delivery.p99_ms ?? Number.NaN))),
    seriesRow('sse fan-out', `warm-up: publish p99 ms over the first ${SSE_WARMUP} publishes of a fresh server (not in the figures above)`, names(all), all.map((c) => across(c, (r) => r.warmup.p99_ms))),
    seriesRow('sse fan-out', 'server CPU s, first publish to last delivery', names(all), all.map((c) => across(c, (r) => r.cpu))),
    seriesRow('sse fan-out', 'µs server CPU per event per subscriber', names(readers), readers.map((c) => across(c, perDelivery))),
    seriesRow('sse fan-out', 'fewest events a reading subscriber got (any round)', names(readers), readers.map((c) => Math.min(...rounds.map((round) => round[c]!.minReceived))), 0),
  ];
  const p99 = (c: number) => across(c, (r) => r.publish.p99_ms).toFixed(2);
  for (const c of readers) {
    const r = configs[c]!;
    ratios.push({
      label: `sse: publish p99 with ${name(r)} subscribers / without subscribers`,
      value: across(c, (run, round) => run.publish.p99_ms / round[base]!.publish.p99_ms),
      max: 1.2,
      baseline: `without subscribers ${p99(base)} ms; with ${p99(c)} ms (medians)`,
    });
    ratios.push({
      label: `sse: share of the ${SSE_WARMUP + events} events every reading subscriber got, ${name(r)} subscribers`,
      value: Math.min(...rounds.map((round) => round[c]!.minReceived)) / (SSE_WARMUP + events),
      min: 1,
      baseline: `${SSE_WARMUP + events} events published in each of ${rounds.length} rounds`,
    });
    info.push({
      label: `sse: warm-up publish p99 (first ${SSE_WARMUP} of a fresh server) with ${name(r)} subscribers / without subscribers`,
      value: across(c, (run, round) => run.warmup.p99_ms / round[base]!.warmup.p99_ms),
    });
    info.push({ label: `sse: delivery p99 ms (publish sent → read by a subscriber), ${name(r)} subscribers`, value: across(c, (run) => run.delivery.p99_ms ?? Number.NaN) });
    const cpu = across(c, perDelivery);
    if (Number.isFinite(cpu)) info.push({ label: `sse: µs server CPU per event per subscriber, ${name(r)} subscribers`, value: cpu });
  }
  const stalled = all.find((c) => configs[c]!.stalled > 0);
  const peer = stalled === undefined ? -1 : all.findIndex((c) => configs[c]!.subscribers === configs[stalled]!.subscribers && configs[c]!.stalled === 0);
  if (stalled !== undefined && peer >= 0) {
    ratios.push({
      label: `sse: publish p99 with one stalled subscriber among ${configs[peer]!.subscribers} / without it`,
      value: across(stalled, (run, round) => run.publish.p99_ms / round[peer]!.publish.p99_ms),
      max: 1.2,
      baseline: `without it ${p99(peer)} ms; with it ${p99(stalled)} ms (medians)`,
    });
  }
  return { rows, ratios, info };
}
