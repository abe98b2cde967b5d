import { rmSync } from 'node:fs';
import { median, startProcess, type BenchReport } from './lib/harness.js';
import { measureInTurn } from './lib/in-turn.js';

const CYCLES = Number(process.env.BENCH_ROUNDS ?? 21);
/** Fresh processes per variant over the run (see measureInTurn); the cycles are spread over them. */
const LIFETIMES = Number(process.env.BENCH_LIFETIMES ?? 7);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 2);

/** Each variant of a framework: the server's MODE, and AUDIT=none for the one without the audit file. */
const VARIANTS: Record<string, Record<string, Record<string, string>>> = {
  fastify: {
    bare: { MODE: 'bare' },
    aetherlink: { MODE: 'aetherlink' },
    'aetherlink, no audit file': { MODE: 'aetherlink', AUDIT: 'none' },
    'aetherlink + metrics': { MODE: 'aetherlink-metrics' },
    'hand-written peer': { MODE: 'handwritten' },
  },
  express: {
    bare: { MODE: 'bare' },
    aetherlink: { MODE: 'aetherlink' },
    'aetherlink + metrics': { MODE: 'aetherlink-metrics' },
  },
};

/**
 * A bare route vs the same route behind AetherLink (header principal, RBAC, audit to a file), without the audit
 * file, with the request-duration metric, and (Fastify) vs what a team writes without us. Every variant of a
 * framework runs at once, each in its own process with its event loop on the server CPU; one load process loads
 * them in turn, in short windows, cycle after cycle, so drift on the machine falls on neighbouring windows of
 * every variant alike; and every variant runs in several fresh processes in turn, so that the speed one process
 * keeps for its life falls on every variant alike too. Ratios are medians of the per-cycle pairs.
 */
export default async function middlewareBench(): Promise<BenchReport> {
  const rows: BenchReport['rows'] = [];
  const ratios: BenchReport['ratios'] = [];
  const info: NonNullable<BenchReport['info']> = [];
  const details: Record<string, unknown> = {};
  for (const framework of (process.env.BENCH_FRAMEWORKS ?? 'fastify,express').split(',')) {
    const variants = Object.keys(VARIANTS[framework]!);
    const files = variants.map((_, i) => `/tmp/aetherlink-bench-${framework}-${process.pid}-${i}.log`);
    const measured = await measureInTurn({
      variants,
      start: (variant) => startProcess('servers/middleware-server.mjs', { FRAMEWORK: framework, AUDIT_FILE: files[variants.indexOf(variant)]!, ...VARIANTS[framework]![variant] }),
      target: { path: '/items/42', headers: { 'x-user-roles': 'viewer' } },
      lifetimes: LIFETIMES,
      cycles: Math.ceil(CYCLES / LIFETIMES),
      windowSec: WINDOW,
      connections: CONNECTIONS,
      cleanup: () => files.forEach((f) => rmSync(f, { force: true })),
    });
    for (const [variant, m] of Object.entries(measured)) {
      if (m.errors || m.non2xx) throw new Error(`${framework}/${variant}: ${m.errors} errors, ${m.non2xx} non-2xx answers`);
    }
    const rps = Object.fromEntries(variants.map((v) => [v, measured[v]!.rps]));
    const p99 = Object.fromEntries(variants.map((v) => [v, measured[v]!.p99_ms]));
    for (const variant of variants) {
      rows.push({ framework, variant, 'req/s (median)': Math.round(median(rps[variant]!)), 'p99 ms (median)': median(p99[variant]!), rounds: rps[variant]!.map(Math.round).join(' / ') });
    }
    // Each cycle measures every variant back to back; the median of those paired ratios resists the drift of a
    // shared machine better than a ratio of medians.
    const pair = (a: string, b: string) => median(rps[a]!.map((x, i) => x / rps[b]![i]!));
    const rate = (v: string) => `${v} ${Math.round(median(rps[v]!)).toLocaleString('en-US')} req/s`;
    const against = (a: string, b: string) => `${rate(b)}; ${rate(a)} (medians)`;
    if (framework === 'fastify') {
      ratios.push({ label: 'fastify: AetherLink (audit to a file) / bare req/s', value: pair('aetherlink', 'bare'), min: 0.9, baseline: against('aetherlink', 'bare') });
      ratios.push({ label: 'fastify: AetherLink without the audit file / bare req/s', value: pair('aetherlink, no audit file', 'bare'), min: 0.95, baseline: against('aetherlink, no audit file', 'bare') });
      ratios.push({ label: 'fastify: AetherLink / hand-written peer (onRequest role check, onResponse pino line to a file) req/s', value: pair('aetherlink', 'hand-written peer'), min: 1.3, baseline: against('aetherlink', 'hand-written peer') });
    } else {
      ratios.push({ label: `${framework}: AetherLink (audit to a file) / bare req/s`, value: pair('aetherlink', 'bare'), min: 0.9, baseline: against('aetherlink', 'bare') });
    }
    info.push({ label: `${framework}: AetherLink + http_request_duration_seconds / AetherLink req/s`, value: pair('aetherlink + metrics', 'aetherlink'), baseline: against('aetherlink + metrics', 'aetherlink') });
    details[framework] = { rps, p99 };
  }
  return {
    name: 'http-middleware',
    description: `GET /items/{id}: bare route vs AetherLink (X-User-Roles principal, RBAC, audit to a file) and its variants, all running at once, loaded in turn with ${CONNECTIONS} connections: ${LIFETIMES} lifetimes of fresh processes × ${Math.ceil(CYCLES / LIFETIMES)} rotating cycles of ${WINDOW} s windows`,
    rows,
    ratios,
    info,
    details,
  };
}
