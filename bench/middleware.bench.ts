import { rmSync } from 'node:fs';
import { loadWithAutocannon, median, startProcess, type BenchReport } from './lib/harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);

/**
 * A bare route vs the same route behind AetherLink (header principal, RBAC, audit to a file), per framework.
 * Variants alternate round by round so drift on the machine hits both alike; medians are compared.
 */
export default async function middlewareBench(): Promise<BenchReport> {
  const rows: BenchReport['rows'] = [];
  const ratios: BenchReport['ratios'] = [];
  const details: Record<string, unknown> = {};
  for (const framework of (process.env.BENCH_FRAMEWORKS ?? 'fastify,express').split(',')) {
    const rps: Record<string, number[]> = { bare: [], aetherlink: [] };
    const p99: Record<string, number[]> = { bare: [], aetherlink: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of round % 2 ? ['aetherlink', 'bare'] : ['bare', 'aetherlink']) {
        const auditFile = `/tmp/aetherlink-bench-${framework}-${mode}.log`;
        const server = await startProcess('servers/middleware-server.mjs', { FRAMEWORK: framework, MODE: mode, AUDIT_FILE: auditFile });
        try {
          const url = `${server.url}/items/42`;
          await loadWithAutocannon({ url, connections: CONNECTIONS, durationSec: 1, headers: { 'x-user-roles': 'viewer' } });
          const r = await loadWithAutocannon({ url, connections: CONNECTIONS, durationSec: DURATION, headers: { 'x-user-roles': 'viewer' } });
          if (r.errors || r.non2xx) throw new Error(`${framework}/${mode}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
          rps[mode]!.push(r.rps);
          p99[mode]!.push(r.p99_ms);
        } finally {
          await server.stop();
          rmSync(auditFile, { force: true });
        }
      }
    }
    for (const mode of ['bare', 'aetherlink']) {
      rows.push({ framework, variant: mode, 'req/s (median)': Math.round(median(rps[mode]!)), 'p99 ms (median)': median(p99[mode]!), rounds: rps[mode]!.map(Math.round).join(' / ') });
    }
    // Each round measures both variants back to back; the median of those paired ratios resists the drift of a
    // shared machine better than a ratio of medians.
    const paired = rps.bare!.map((bare, i) => rps.aetherlink![i]! / bare);
    ratios.push({ label: `${framework}: AetherLink / bare req/s (median of paired rounds)`, value: median(paired), min: 0.95 });
    details[framework] = { rps, p99, paired_ratios: paired };
  }
  return {
    name: 'http-middleware',
    description: `GET /items/{id}: bare route vs AetherLink (X-User-Roles principal, RBAC, audit to a file), ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION} s`,
    rows,
    ratios,
    details,
  };
}
