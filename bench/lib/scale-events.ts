import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScript, seriesRow, startProcess, type BenchReport, type ServerProcess } from './harness.js';

/** The reference server, built, with nothing in the way of the figures: no audit lines, no retention, no self-registration. */
export const REFERENCE = '../examples/command-center/dist/main.js';
export const QUIET = { LOG_LEVEL: 'warn', AUDIT_LOG: 'off', SELF_REGISTER: 'false', DELIVERY_POLL_MS: '1000', RETENTION_EVENTS_DAYS: '0', RETENTION_EVENTS_MAX: '0' };

/** What a dashboard asks of the event store. */
export const EVENT_QUERIES: Record<string, string> = {
  'recent, no filter': '/events/recent?limit=50',
  'recent, one filter (severity=error)': '/events/recent?limit=50&severity=error',
  'recent, three filters (type, source, severity)': '/events/recent?limit=50&event_type=service.health.failed&source=registry&severity=error',
  'recent, since=1h': '/events/recent?limit=50&since=1h',
  stats: '/events/stats',
};

type Probe = Record<string, { p50_ms: number; p99_ms: number; n: number; failed: number }>;

export interface ScaleFigures {
  /** backend → query → size → { p50, p99 } */
  figures: Record<string, Record<string, Record<number, { p50: number; p99: number }>>>;
  seedSeconds: Record<string, Record<number, number>>;
}

/**
 * Seeds a store per size with a fleet's history (servers/scale-seed.mjs), serves every size at once with its own
 * reference server, and measures each query's latency one request at a time, the sizes' requests interleaved:
 * drift on a shared machine meets every size alike.
 */
export async function measureEventScale(sizes: number[], postgres: string | undefined, count: number): Promise<ScaleFigures> {
  const figures: ScaleFigures['figures'] = {};
  const seedSeconds: ScaleFigures['seedSeconds'] = {};
  for (const backend of postgres ? ['sqlite', 'postgres'] : ['sqlite']) {
    figures[backend] = Object.fromEntries(Object.keys(EVENT_QUERIES).map((q) => [q, {}]));
    seedSeconds[backend] = {};
    const dir = mkdtempSync(join(tmpdir(), 'aetherlink-scale-'));
    const servers: ServerProcess[] = [];
    try {
      for (const size of sizes) {
        const where: Record<string, string> = backend === 'sqlite' ? { DB: join(dir, `events-${size}.db`) } : { DATABASE_URL: postgres!, SCHEMA: `scale_${size}_${process.pid}` };
        const seeded = await runScript<{ ms: number }>('servers/scale-seed.mjs', { BACKEND: backend, COUNT: String(size), ...where }, 'server', 3_600_000);
        seedSeconds[backend]![size] = seeded.ms / 1000;
        servers.push(
          await startProcess(REFERENCE, {
            ...QUIET,
            ...(backend === 'sqlite' ? { AETHERLINK_DB: where.DB! } : { DATABASE_URL: postgres!, DATABASE_SCHEMA: where.SCHEMA! }),
          }),
        );
      }
      const probe = await runScript<Probe>('servers/latency-probe.mjs', {
        TARGETS: JSON.stringify(sizes.flatMap((size, i) => Object.entries(EVENT_QUERIES).map(([name, path]) => ({ name: `${size} ${name}`, url: `${servers[i]!.url}${path}` })))),
        HEADERS: JSON.stringify({ 'x-user-roles': 'viewer' }),
        COUNT: String(count),
      });
      for (const size of sizes) {
        for (const name of Object.keys(EVENT_QUERIES)) {
          const r = probe[`${size} ${name}`]!;
          if (r.failed) throw new Error(`${backend} ${size}: ${name} failed ${r.failed} times`);
          figures[backend]![name]![size] = { p50: r.p50_ms, p99: r.p99_ms };
        }
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { figures, seedSeconds };
}

/** Rows (each figure at each size) and ratios (largest / smallest size: p50 with its target, p99 for context). */
export function reportEventScale({ figures, seedSeconds }: ScaleFigures, sizes: number[]): Pick<BenchReport, 'rows' | 'ratios' | 'info'> {
  const rows: BenchReport['rows'] = [];
  const ratios: BenchReport['ratios'] = [];
  const info: NonNullable<BenchReport['info']> = [];
  const [small, large] = [sizes[0]!, sizes[sizes.length - 1]!];
  for (const [backend, queries] of Object.entries(figures)) {
    for (const [query, bySize] of Object.entries(queries)) {
      rows.push(seriesRow(`events on ${backend}`, `${query}: p50 ms`, sizes, sizes.map((n) => bySize[n]!.p50)));
      rows.push(seriesRow(`events on ${backend}`, `${query}: p99 ms`, sizes, sizes.map((n) => bySize[n]!.p99)));
      const at = (p: 'p50' | 'p99') => `${p} ${bySize[small]![p].toFixed(2)} ms at ${small}; ${bySize[large]![p].toFixed(2)} ms at ${large}`;
      ratios.push({ label: `${backend} ${query}: p50 at ${large} / at ${small} events`, value: bySize[large]!.p50 / bySize[small]!.p50, max: 2, baseline: at('p50') });
      info.push({ label: `${backend} ${query}: p99 at ${large} / at ${small} events`, value: bySize[large]!.p99 / bySize[small]!.p99, baseline: at('p99') });
    }
    rows.push(seriesRow(`events on ${backend}`, 'seconds to seed through the store (group commit)', sizes, sizes.map((n) => seedSeconds[backend]![n]!), 1));
  }
  return { rows, ratios, info };
}
