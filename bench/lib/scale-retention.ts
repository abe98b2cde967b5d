import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWithAutocannon, median, runScript, seriesRow, startProcess, type BenchReport } from './harness.js';
import { QUIET, REFERENCE } from './scale-events.js';

const DAY_MS = 86_400_000;

/**
 * HTTP publishes to the reference server on SQLite holding `backlog` events 40 days old, with retention idle
 * (turned off) and with retention deleting them (the default 30 days, a pass every second, 1000 per
 * transaction); variants alternate round by round on copies of one seeded file.
 */
export async function measureRetention(backlog: number, rounds: number, durationSec: number): Promise<Pick<BenchReport, 'rows' | 'ratios' | 'info'> & { details: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'aetherlink-retention-'));
  const seed = join(dir, 'seed.db');
  const rps: Record<'idle' | 'deleting', number[]> = { idle: [], deleting: [] };
  const deleted: number[] = [];
  try {
    await runScript('servers/scale-seed.mjs', { BACKEND: 'sqlite', DB: seed, COUNT: String(backlog), END_MS: String(Date.now() - 40 * DAY_MS) }, 'server', 3_600_000);
    const body = JSON.stringify({ type: 'bench.http', source: 'autocannon', severity: 'info', data: { host: 'node-1', n: 1 } });
    for (let round = 0; round < rounds; round++) {
      for (const variant of round % 2 ? (['deleting', 'idle'] as const) : (['idle', 'deleting'] as const)) {
        const db = join(dir, `${variant}-${round}.db`);
        copyFileSync(seed, db);
        const retention = variant === 'idle' ? { RETENTION_EVENTS_DAYS: '0', RETENTION_EVENTS_MAX: '0' } : { RETENTION_EVENTS_DAYS: '30', RETENTION_EVENTS_MAX: '1000000' };
        const server = await startProcess(REFERENCE, { ...QUIET, ...retention, AETHERLINK_DB: db, RETENTION_INTERVAL_SECONDS: '1' });
        try {
          const total = async () => ((await (await fetch(`${server.url}/events/stats`, { headers: { 'x-user-roles': 'viewer' } })).json()) as { total: number }).total;
          const opts = { url: `${server.url}/events/publish`, method: 'POST', body, connections: 100, headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' } };
          await loadWithAutocannon({ ...opts, durationSec: 1 });
          const before = await total();
          const r = await loadWithAutocannon({ ...opts, durationSec: durationSec });
          if (r.errors || r.non2xx) throw new Error(`retention ${variant}: ${r.errors} errors, ${r.non2xx} non-2xx answers`);
          const gone = before + r.requests - (await total());
          rps[variant].push(r.rps);
          if (variant === 'deleting') deleted.push(gone);
        } finally {
          await server.stop();
          rmSync(db, { force: true });
          rmSync(`${db}-wal`, { force: true });
          rmSync(`${db}-shm`, { force: true });
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // A comparison in which retention removed nothing would show nothing.
  if (median(deleted) <= 0) throw new Error(`retention removed nothing while it was measured (${deleted.join(', ')}): the comparison would be empty`);
  const paired = median(rps.deleting.map((x, i) => x / rps.idle[i]!));
  return {
    rows: [
      seriesRow('retention', 'HTTP publishes/s (median): retention idle / deleting', ['idle', 'deleting'], [median(rps.idle), median(rps.deleting)], 0),
      seriesRow('retention', 'old events retention removed while publishes were measured', [`median of ${rounds}`], [median(deleted)], 0),
    ],
    ratios: [
      {
        label: `retention: HTTP publishes/s while retention deletes a ${backlog}-event backlog / while it is idle`,
        value: paired,
        min: 0.8,
        baseline: `idle ${Math.round(median(rps.idle)).toLocaleString('en-US')} req/s; deleting ${Math.round(median(rps.deleting)).toLocaleString('en-US')} req/s (medians)`,
      },
    ],
    info: [{ label: 'retention: old events removed during each measured run (median)', value: median(deleted) }],
    details: { rps, deleted },
  };
}
