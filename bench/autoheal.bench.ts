import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BENCH_DIR, median, pinned, startProcess, type BenchReport } from './lib/harness.js';

const FAULTS = Number(process.env.BENCH_AUTOHEAL_FAULTS ?? 50);
const STORM_SECONDS = Number(process.env.BENCH_AUTOHEAL_STORM_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SIZES = (process.env.BENCH_AUTOHEAL_SIZES ?? '10,100,1000').split(',').map(Number);
const PACKAGE = `${BENCH_DIR}../packages/autoheal/dist/index.js`;
// The detection settings the issue names: interval 1 s, threshold 3, check timeout 500 ms.
const THEORY_MS = 1000 * 3 + 500;

/** Runs the engine side in its own process (the health endpoints live in another) and returns its JSON line. */
function engine<T>(mode: string, url: string, env: Record<string, string>, limitMs: number): Promise<T> {
  const [cmd, args] = pinned('load', ['--expose-gc', `${BENCH_DIR}servers/autoheal-engine.mjs`]);
  const proc = spawn(cmd, args, { cwd: BENCH_DIR, env: { ...process.env, NODE_ENV: 'production', MODE: mode, URL: url, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d));
  proc.stderr.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`autoheal ${mode} did not finish in time:\n${err}`));
    }, limitMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`autoheal ${mode} exited with ${code}:\n${err}${out}`));
      resolve(JSON.parse(line) as T);
    });
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;

/**
 * Auto-heal: detection-to-restart over induced faults (500, hang, dropped connection) at interval 1 s, threshold 3,
 * timeout 500 ms; the restarts 100 simultaneous faults among 1000 services cause under the default caps; how one
 * round's cost grows with the fleet (10, 100, 1000 services) beside a hand-written poll-and-restart loop (the
 * bare baseline) and the registry checker's pass (the peer) over the same endpoints. Health endpoints live in
 * another process.
 */
export default async function autohealBench(): Promise<BenchReport> {
  if (!existsSync(PACKAGE)) throw new Error('packages/autoheal/dist is missing: run `pnpm build` first');
  const health = await startProcess('servers/autoheal-health-server.mjs', {});
  try {
    const detect = await engine<{ samples: { kind: string; ms: number | null }[] }>('detect', health.url, { FAULTS: String(FAULTS), FLEET: '100' }, 300_000);
    const storm = await engine<{ restarts: number; peak_concurrent: number; max_per_minute: number; healthy_restarted: number; fleet_guard: boolean; seconds: number }>(
      'storm', health.url, { FLEET: '1000', FAILING: '100', STORM_SECONDS: String(STORM_SECONDS) }, (STORM_SECONDS + 60) * 1000,
    );
    type Size = { targets: number; engine_ms: number[]; loop_ms: number[]; registry_ms: number[]; heap_kept_mb: number; restarts: number; loop_restarts: number };
    const scale = await engine<{ sizes: Size[]; concurrency: number; rss_mb: number }>('scale', health.url, { SIZES: SIZES.join(','), ROUNDS: String(ROUNDS) }, 600_000);
    const missed = detect.samples.filter((s) => s.ms === null).length;
    const times = detect.samples.flatMap((s) => (s.ms === null ? [] : [s.ms])).sort((a, b) => a - b);
    const p50 = percentile(times, 0.5);
    const p99 = percentile(times, 0.99);
    const byKind = Object.fromEntries(['error', 'hang', 'reset'].map((k) => [k, Math.round(median(detect.samples.filter((s) => s.kind === k && s.ms !== null).map((s) => s.ms!)))]));
    // Per-round pairs, so a busy moment of the machine weighs on both sides of a ratio alike.
    const pairs = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));
    const sized = scale.sizes.map((s) => ({
      ...s, engine: median(s.engine_ms), loop: median(s.loop_ms), registry: median(s.registry_ms), vsLoop: pairs(s.engine_ms, s.loop_ms), vsRegistry: pairs(s.engine_ms, s.registry_ms),
    }));
    const largest = sized.at(-1)!;
    const perTarget = (s: (typeof sized)[number]) => (s.engine * 1000) / s.targets;
    const middle = sized.find((s) => s.targets === 100) ?? sized[0]!;
    return {
      name: 'autoheal',
      description: `Detection to restart over ${detect.samples.length} faults (interval 1 s, threshold 3, timeout 500 ms); 100 of 1000 services failing at once for ${storm.seconds} s under the default caps (3 in flight, 10 a minute); one round over ${SIZES.join(' / ')} healthy services beside a hand-written poll-and-restart loop and the registry checker (concurrency ${scale.concurrency}, ${ROUNDS} rounds each, alternating)`,
      rows: [
        { measure: 'detection → restart', 'p50 ms': Math.round(p50), 'p99 ms': Math.round(p99), 'max ms': Math.round(times.at(-1)!), faults: detect.samples.length, missed, 'median by fault (500 / hang / reset)': `${byKind.error} / ${byKind.hang} / ${byKind.reset}` },
        { measure: 'storm: 100 of 1000 fail at once', restarts: storm.restarts, 'peak in flight': storm.peak_concurrent, 'most in any minute': storm.max_per_minute, 'healthy restarted': storm.healthy_restarted, 'fleet guard': String(storm.fleet_guard) },
        ...sized.map((s) => ({
          measure: `one round, ${s.targets} services`, 'engine ms': Math.round(s.engine * 10) / 10, 'poll-and-restart loop ms': Math.round(s.loop * 10) / 10,
          'registry pass ms': Math.round(s.registry * 10) / 10, 'engine / loop': Math.round(s.vsLoop * 100) / 100, 'µs per service': Math.round(perTarget(s)), 'heap kept MB': Math.round(s.heap_kept_mb * 10) / 10,
        })),
      ],
      ratios: [
        { label: 'detection → restart p99, ms', value: Math.round(p99), max: 3600 },
        { label: `detection → restart p99 / (interval × threshold + timeout = ${THEORY_MS} ms)`, value: p99 / THEORY_MS, max: 1.1 },
        { label: 'faults never restarted within 20 s', value: missed, max: 0 },
        { label: 'storm: most restarts begun in any minute (cap 10)', value: storm.max_per_minute, min: 10, max: 10 },
        { label: 'storm: most heals in flight at once (cap 3)', value: storm.peak_concurrent, min: 3, max: 3 },
        { label: 'storm: healthy services restarted', value: storm.healthy_restarted, max: 0 },
        { label: 'rounds over healthy fleets: services the engine restarted', value: scale.sizes.reduce((n, s) => n + s.restarts, 0), max: 0 },
      ],
      info: [
        { label: 'detection → restart p50, ms', value: Math.round(p50) },
        ...sized.flatMap((s) => [
          { label: `one engine round over ${s.targets} services, ms (median)`, value: s.engine },
          { label: `engine round / hand-written poll-and-restart loop, ${s.targets} services (median of per-round pairs)`, value: s.vsLoop },
          { label: `engine round / registry checker pass, ${s.targets} services (median of per-round pairs)`, value: s.vsRegistry },
        ]),
        { label: 'rounds over healthy fleets: services the hand-written loop restarted', value: scale.sizes.reduce((n, s) => n + s.loop_restarts, 0) },
        { label: `growth: engine cost per service at ${largest.targets} / at ${middle.targets} (1 = linear)`, value: perTarget(largest) / perTarget(middle) },
        { label: `heap the engine keeps for ${largest.targets} services after its first round (after GC), MB`, value: largest.heap_kept_mb },
      ],
      details: { detection_ms: times, storm, scale },
    };
  } finally {
    await health.stop();
  }
}
