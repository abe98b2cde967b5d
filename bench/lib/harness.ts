import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { startListeningProcess } from '@aetherlink/core/testing';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS_DIR = `${BENCH_DIR}results`;

export interface ServerProcess {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

// On a small machine the load generator and the server fight for cores; pin them apart when we can.
const CPUS = cpus().length;
const HAS_TASKSET = CPUS >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** Command and arguments to run `node args…` on one CPU set ('server' or 'load'), when taskset is available. */
export function pinned(role: 'server' | 'load', args: string[]): [string, string[]] {
  if (!HAS_TASKSET) return [process.execPath, args];
  const cpusFor = role === 'server' ? '0' : `1-${CPUS - 1}`;
  return ['taskset', ['-c', cpusFor, process.execPath, ...args]];
}

/**
 * Starts a bench server script in its own process (PORT=0 on 127.0.0.1); it must print `listening on <url>`.
 * `.mjs` scripts run on the built packages with plain node; `.ts` scripts run from source through tsx.
 * Once it listens, its event-loop thread is pinned to the server's CPU; the threads it started by then (the
 * SQLite writer, libuv's pool, the garbage collector's helpers) stay free to run on any CPU, as they would in
 * production. Pinning the whole process would make a writer thread share the event loop's one CPU, measuring a
 * design that keeps work off the event loop as if it did not.
 * @example const s = await startProcess('servers/middleware-server.mjs', { FRAMEWORK: 'fastify' })
 */
export async function startProcess(script: string, env: Record<string, string>, timeoutMs = 20_000): Promise<ServerProcess> {
  const args = script.endsWith('.ts') ? ['--import', 'tsx', '--conditions=@aetherlink/source', `${BENCH_DIR}${script}`] : [`${BENCH_DIR}${script}`];
  const server = await startListeningProcess({
    name: script,
    args,
    cwd: BENCH_DIR,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production', ...env },
    timeoutMs,
  });
  try {
    pinEventLoop(server.proc.pid!);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { url: server.url, proc: server.proc, stop: async () => void (await server.stop()) };
}

/**
 * Pins a process's main thread (the event loop) to the server CPU, leaving its other threads where they are.
 * @example pinEventLoop(child.pid!)
 */
export function pinEventLoop(pid: number): void {
  if (!HAS_TASKSET) return;
  // Without -a, taskset -p sets the affinity of the one thread whose id is the process id: the main thread.
  const r = spawnSync('taskset', ['-p', '-c', '0', String(pid)]);
  if (r.status !== 0) throw new Error(`taskset could not pin process ${pid}: ${r.stderr.toString()}`);
}

export interface LoadOptions {
  url: string;
  connections?: number;
  durationSec?: number;
  headers?: Record<string, string>;
  method?: string;
  body?: string;
}

export interface LoadResult {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  non2xx: number;
  requests: number;
}

/**
 * Loads a URL with autocannon from a separate process and returns its figures.
 * @example const r = await loadWithAutocannon({ url, connections: 50, durationSec: 5 })
 */
export function loadWithAutocannon(options: LoadOptions): Promise<LoadResult> {
  const bin = require.resolve('autocannon/autocannon.js');
  const args = [bin, '--json', '-c', String(options.connections ?? 50), '-d', String(options.durationSec ?? 5)];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', `${k}=${v}`);
  if (options.method) args.push('-m', options.method);
  if (options.body) args.push('-b', options.body);
  args.push(options.url);
  return new Promise((resolve, reject) => {
    const [cmd, cmdArgs] = pinned('load', args);
    const proc = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d));
    proc.stderr.on('data', (d: Buffer) => (err += d));
    proc.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}: ${err}`));
      const r = JSON.parse(out) as {
        requests: { average: number; total: number };
        latency: { p50: number; p99: number };
        errors: number;
        non2xx: number;
      };
      resolve({ rps: r.requests.average, p50_ms: r.latency.p50, p99_ms: r.latency.p99, errors: r.errors, non2xx: r.non2xx, requests: r.requests.total });
    });
  });
}

/**
 * The median of a list of numbers.
 * @example median([3, 1, 2]) // 2
 */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface Ratio {
  label: string;
  value: number;
  /** What the figure is measured against in the same run, in words with its figure (the summary shows it). */
  baseline?: string;
  /** A target: met when value >= min (and <= max, when both are set). */
  min?: number;
  max?: number;
}

export interface BenchReport {
  name: string;
  description: string;
  /** One row per measured variant; every variant of one report is measured in the same run as the others. */
  rows: Record<string, string | number>[];
  /** Ratios and figures with a target: each one missed fails `pnpm bench`. */
  ratios: Ratio[];
  /** Figures reported for context, without a target: printed as information, never as a pass. */
  info?: { label: string; value: number; baseline?: string }[];
  details?: unknown;
}

/** Whether a ratio meets its target (`min` and/or `max`). */
export const passed = (r: Ratio) => (r.min === undefined || r.value >= r.min) && (r.max === undefined || r.value <= r.max);

/**
 * Why a ratio's target could never be missed (none at all, or only `min <= 0` on figures that are never
 * negative), or undefined when it can: such a figure belongs under `info`, not among the targets.
 * @example vacuousTarget({ label: 'x', value: 3, min: 0 }) // 'its only target is >= 0, which no figure here can miss'
 */
export function vacuousTarget(r: Ratio): string | undefined {
  if (r.min === undefined && r.max === undefined) return 'it has no target';
  if (r.max === undefined && r.min !== undefined && r.min <= 0) return `its only target is >= ${r.min}, which no figure here can miss`;
  return undefined;
}

/** The target of a ratio in words, for tables. */
export const targetOf = (r: Ratio) =>
  r.min !== undefined && r.max !== undefined ? `${r.min} … ${r.max}` : r.min !== undefined ? `>= ${r.min}` : `<= ${r.max}`;

/**
 * Writes `bench/results/<name>.json` with the machine it ran on.
 * @example writeReport(report)
 */
export function writeReport(report: BenchReport, loadBefore: number[] = loadavg()): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}/${report.name}.json`;
  const cpu = cpus();
  const round = (l: number[]) => l.map((x) => Math.round(x * 100) / 100);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        ...report,
        ratios: report.ratios.map((r) => ({ ...r, pass: passed(r) })),
        info: report.info ?? [],
        ran_at: new Date().toISOString(),
        node: process.version,
        cpu: `${cpu.length} × ${cpu[0]?.model ?? 'unknown'}`,
        memory_gb: Math.round(totalmem() / 1e8) / 10,
        os: `${platform()} ${release()}`,
        // 1, 5 and 15 minute load averages when the benchmark started and when it ended: how busy the machine was.
        load_average: { before: round(loadBefore), after: round(loadavg()) },
      },
      null,
      2,
    )}\n`,
  );
  return file;
}

/**
 * Prints rows as an aligned text table.
 * @example printTable([{ variant: 'bare', rps: 1000 }])
 */
export function printTable(rows: Record<string, string | number>[]): void {
  if (rows.length === 0) return;
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : String(v ?? ''));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

/**
 * Runs a bench script to its end on one CPU set ('server' or 'load') and resolves with its last stdout line
 * parsed as JSON; rejects with its output when it fails or outlives `timeoutMs`.
 * @example const seeded = await runScript('servers/scale-seed.mjs', { COUNT: '10000', DB: file }, 'server')
 */
export function runScript<T>(script: string, env: Record<string, string>, role: 'server' | 'load' = 'load', timeoutMs = 600_000, nodeArgs: string[] = []): Promise<T> {
  const [cmd, args] = pinned(role, [...nodeArgs, `${BENCH_DIR}${script}`]);
  const proc = spawn(cmd, args, { cwd: BENCH_DIR, env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d));
  proc.stderr!.on('data', (d: Buffer) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${script} did not finish in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`${script} exited with ${code}:\n${out}`));
      resolve(JSON.parse(line) as T);
    });
  });
}

const TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/**
 * CPU time a process has used so far (user + system, every thread), in seconds, from /proc.
 * @example const before = cpuSeconds(server.proc.pid!)
 */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

/**
 * One figure measured at several sizes, as a table row: the sizes, the values, and largest / smallest.
 * @example seriesRow('registry', 'probe round ms', [100, 1000], [12, 110])
 */
export function seriesRow(part: string, figure: string, sizes: readonly (string | number)[], values: readonly number[], digits = 2): Record<string, string | number> {
  const show = (v: number) => (Number.isFinite(v) ? Number(v.toFixed(digits)).toString() : '–');
  return {
    part,
    figure,
    sizes: sizes.join(' / '),
    values: values.map(show).join(' / '),
    'largest / smallest': values.length > 1 ? show(values[values.length - 1]! / values[0]!) : '–',
  };
}
