import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { BENCH_DIR, median, pinned, startProcess, type BenchReport } from './lib/harness.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONCURRENCY = Number(process.env.BENCH_PROBE_CONCURRENCY ?? 64);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 1024);
const PACKAGE = `${BENCH_DIR}../packages/registry/dist/index.js`;

interface ProberResult {
  mode: 'checker' | 'bare';
  probes: number;
  seconds: number;
  failures: number;
  failure_reasons: Record<string, number>;
  per_second: number;
}

/** Runs the prober (the load side) on the load CPUs and returns its one JSON line; bounded in time. */
function runProber(mode: 'checker' | 'bare', url: string): Promise<ProberResult> {
  const [cmd, args] = pinned('load', [`${BENCH_DIR}servers/registry-prober.mjs`]);
  const proc = spawn(cmd, args, {
    cwd: BENCH_DIR,
    env: { ...process.env, NODE_ENV: 'production', MODE: mode, URL: url, CONCURRENCY: String(CONCURRENCY), SERVICES: String(SERVICES), DURATION_MS: String(DURATION * 1000) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => (out += d));
  proc.stderr.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`registry prober (${mode}) did not finish in time:\n${err}`));
    }, (DURATION + 60) * 1000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`registry prober (${mode}) exited with ${code}:\n${err}${out}`));
      resolve(JSON.parse(line) as ProberResult);
    });
  });
}

/**
 * Health probes per second of `createHealthChecker` (undici, keep-alive, concurrency 64, status + latency + JSON
 * body conditions, results stored in the registry) against healthy servers in another process, beside a bare
 * node:http keep-alive loop at the same concurrency. Variants alternate round by round; medians are compared.
 */
export default async function registryBench(): Promise<BenchReport> {
  if (!existsSync(PACKAGE)) throw new Error('packages/registry/dist is missing: run `pnpm build` first');
  const perSecond: Record<'checker' | 'bare', number[]> = { checker: [], bare: [] };
  const failures: Record<'checker' | 'bare', number> = { checker: 0, bare: 0 };
  const probes: Record<'checker' | 'bare', number> = { checker: 0, bare: 0 };
  const reasons: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 ? (['checker', 'bare'] as const) : (['bare', 'checker'] as const)) {
      const server = await startProcess('servers/registry-health-server.mjs', {});
      try {
        const r = await runProber(mode, server.url);
        perSecond[mode].push(r.per_second);
        failures[mode] += r.failures;
        probes[mode] += r.probes;
        if (mode === 'checker') for (const [reason, n] of Object.entries(r.failure_reasons)) reasons[reason] = (reasons[reason] ?? 0) + n;
      } finally {
        await server.stop();
      }
    }
  }
  const rows: BenchReport['rows'] = [
    {
      variant: 'createHealthChecker (undici, conditions, stored)',
      'probes/s (median)': Math.round(median(perSecond.checker)),
      probes: probes.checker,
      'false failures': failures.checker,
      rounds: perSecond.checker.map(Math.round).join(' / '),
    },
    {
      variant: 'bare node:http keep-alive loop',
      'probes/s (median)': Math.round(median(perSecond.bare)),
      probes: probes.bare,
      'false failures': failures.bare,
      rounds: perSecond.bare.map(Math.round).join(' / '),
    },
  ];
  const paired = perSecond.checker.map((c, i) => c / perSecond.bare[i]!);
  return {
    name: 'registry',
    description: `Health probes of ${SERVICES} registered services at concurrency ${CONCURRENCY} against healthy servers in another process, ${ROUNDS} alternating rounds of ${DURATION} s`,
    rows,
    ratios: [
      { label: `checker probes/s (median), concurrency ${CONCURRENCY}`, value: Math.round(median(perSecond.checker)), min: 2000 },
      { label: 'false failures: checker probes that failed against a healthy server', value: failures.checker, max: 0 },
      // Our own floor, not the issue's: flags a checker that falls far behind plain HTTP on a machine where 2000/s is easy.
      { label: 'checker / bare node:http loop probes/s (median of paired rounds)', value: median(paired), min: 0.5 },
    ],
    details: { per_second: perSecond, paired_ratios: paired, failure_reasons: reasons, bare_failures: failures.bare },
  };
}
