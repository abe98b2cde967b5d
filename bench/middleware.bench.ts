import { rmSync } from 'node:fs';
import { loadWithAutocannon, median, startProcess, type BenchReport } from './lib/harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);

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
 * file, with the request-duration metric, and (Fastify) vs what a team writes without us. Variants rotate round
 * by round so drift on the machine hits all alike; ratios are medians of per-round pairs.
 */
export default async function middlewareBench(): Promise<BenchReport> {
  const rows: BenchReport['rows'] = [];
  const ratios: BenchReport['ratios'] = [];
  const info: NonNullable<BenchReport['info']> = [];
  const details: Record<string, unknown> = {};
  for (const framework of (process.env.BENCH_FRAMEWORKS ?? 'fastify,express').split(',')) {
    const variants = Object.keys(VARIANTS[framework]!);
    const rps: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
    const p99: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) {
        const auditFile = `/tmp/aetherlink-bench-${framework}-${process.pid}.log`;
        const server = await startProcess('servers/middleware-server.mjs', { FRAMEWORK: framework, AUDIT_FILE: auditFile, ...VARIANTS[framework]![variant] });
        try {
          const url = `${server.url}/items/42`;
          await loadWithAutocannon({ url, connections: CONNECTIONS, durationSec: 1, headers: { 'x-user-roles': 'viewer' } });
          const r = await loadWithAutocannon({ url, connections: CONNECTIONS, durationSec: DURATION, headers: { 'x-user-roles': 'viewer' } });
          if (r.errors || r.non2xx) throw new Error(`${framework}/${variant}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
          rps[variant]!.push(r.rps);
          p99[variant]!.push(r.p99_ms);
        } finally {
          await server.stop();
          rmSync(auditFile, { force: true });
        }
      }
    }
    for (const variant of variants) {
      rows.push({ framework, variant, 'req/s (median)': Math.round(median(rps[variant]!)), 'p99 ms (median)': median(p99[variant]!), rounds: rps[variant]!.map(Math.round).join(' / ') });
    }
    // Each round measures every variant back to back; the median of those paired ratios resists the drift of a
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
    description: `GET /items/{id}: bare route vs AetherLink (X-User-Roles principal, RBAC, audit to a file) and its variants, ${CONNECTIONS} connections, ${ROUNDS} rotating rounds of ${DURATION} s`,
    rows,
    ratios,
    info,
    details,
  };
}
