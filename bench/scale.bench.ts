import { startPostgres } from '../test/postgres-server.js';
import { runScript, seriesRow, startProcess, type BenchReport } from './lib/harness.js';
import { measureEventScale, reportEventScale } from './lib/scale-events.js';
import { measureRetention } from './lib/scale-retention.js';
import { measureSseRounds, reportSse, SSE_WARMUP } from './lib/scale-sse.js';

const list = (value: string | undefined, fallback: string) => (value ?? fallback).split(',').map(Number);
const EVENT_SIZES = list(process.env.BENCH_SCALE_SIZES, '10000,100000,1000000');
const SUBSCRIBERS = list(process.env.BENCH_SCALE_SUBSCRIBERS, '1,100,1000');
const SERVICES = list(process.env.BENCH_SCALE_SERVICES, '100,1000,10000');
const QUERIES = Number(process.env.BENCH_SCALE_QUERIES ?? 200);
const SSE_EVENTS = Number(process.env.BENCH_SCALE_SSE_EVENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const BACKLOG = Number(process.env.BENCH_SCALE_BACKLOG ?? 300_000);
const WITH_POSTGRES = !/^(0|false|no)$/i.test(process.env.BENCH_SCALE_POSTGRES ?? '');

interface RegistryRound {
  services: number;
  round_ms: number;
  failures: number;
  rss_mb: number;
  heap_mb: number;
}

/**
 * Cost as data grows: event queries and stats at 10k, 100k and 1M stored events (SQLite and PostgreSQL), SSE
 * fan-out to 1, 100 and 1,000 subscribers (and one that stalls), one registry probe round at 100, 1,000 and
 * 10,000 services, and publish throughput while retention deletes. Each figure at each size, with the ratio of
 * the largest to the smallest.
 */
export default async function scaleBench(): Promise<BenchReport> {
  const rows: BenchReport['rows'] = [];
  const ratios: BenchReport['ratios'] = [];
  const info: NonNullable<BenchReport['info']> = [];
  const details: Record<string, unknown> = {};
  const add = (part: Pick<BenchReport, 'rows' | 'ratios' | 'info'>) => {
    rows.push(...part.rows);
    ratios.push(...part.ratios);
    info.push(...(part.info ?? []));
  };

  const pg = WITH_POSTGRES ? await startPostgres({ label: 'bench-scale' }) : undefined;
  try {
    const events = await measureEventScale(EVENT_SIZES, pg?.connectionString, QUERIES);
    add(reportEventScale(events, EVENT_SIZES));
    details.events = events;
  } finally {
    await pg?.destroy();
  }

  // A steady 100 publishes a second: the fan-out's cost shows in publish latency, not in a saturated server.
  const sse = await measureSseRounds(SUBSCRIBERS, SSE_EVENTS, 10, ROUNDS);
  add(reportSse(sse, SSE_EVENTS));
  details.sse = sse;

  const health = await startProcess('servers/registry-health-server.mjs', {});
  const rounds: RegistryRound[] = [];
  try {
    for (const services of SERVICES) {
      const r = await runScript<RegistryRound>('servers/registry-scale.mjs', { URL: health.url, SERVICES: String(services) }, 'server', 600_000, ['--expose-gc']);
      if (r.failures) throw new Error(`${r.failures} of ${services} probes failed against healthy servers`);
      rounds.push(r);
    }
  } finally {
    await health.stop();
  }
  rows.push(
    seriesRow('registry', 'one probe round, ms (concurrency 16)', SERVICES, rounds.map((r) => r.round_ms), 0),
    seriesRow('registry', 'ms of a probe round per service', SERVICES, rounds.map((r) => r.round_ms / r.services), 3),
    seriesRow('registry', 'process RSS after the round, MB', SERVICES, rounds.map((r) => r.rss_mb), 1),
    seriesRow('registry', 'JS heap after the round, MB', SERVICES, rounds.map((r) => r.heap_mb), 1),
  );
  const [first, last] = [rounds[0]!, rounds[rounds.length - 1]!];
  info.push(
    { label: `registry: probe round ms per service at ${last.services} / at ${first.services}`, value: last.round_ms / last.services / (first.round_ms / first.services) },
    { label: `registry: JS heap KB per service at ${last.services}`, value: ((last.heap_mb - first.heap_mb) * 1000) / (last.services - first.services) },
  );
  details.registry = rounds;

  const retention = await measureRetention(BACKLOG, ROUNDS, DURATION);
  add(retention);
  details.retention = retention.details;

  return {
    name: 'scale',
    description: `events ${EVENT_SIZES.join(' / ')} (SQLite${WITH_POSTGRES ? ', PostgreSQL' : ''}; ${QUERIES} queries each, one at a time); SSE ${SUBSCRIBERS.join(' / ')} subscribers (${SSE_EVENTS} events at 100/s after ${SSE_WARMUP} to warm up, ${ROUNDS} rotating rounds); registry ${SERVICES.join(' / ')} services; retention over a ${BACKLOG}-event backlog (${ROUNDS} rounds of ${DURATION} s)`,
    rows,
    ratios,
    info,
    details,
  };
}
