import type { HealHistoryStore, HealOutcome, HealProbe, HealRecord } from '@aetherlink/core';
import type { Database } from './pool.js';
import { int, isoOf, isoOrNull, json, timeParam, timeParamOrNull } from './rows.js';

/** A row as pg returns it: the record's fields, with timestamps as Dates. */
type HealRow = Omit<HealRecord, 'ts' | 'detected_at' | 'started_at' | 'probe'> & {
  ts: Date;
  detected_at: Date | null;
  started_at: Date | null;
  probe: HealProbe | null;
};

const COLUMNS = 'id, ts, service, action, outcome, reason, message, probe, attempt, delay_ms, detected_at, started_at, duration_ms, error';

const recordOf = (row: HealRow): HealRecord => ({
  id: row.id,
  ts: isoOf(row.ts),
  service: row.service,
  action: row.action,
  outcome: row.outcome,
  reason: row.reason,
  message: row.message,
  probe: row.probe,
  attempt: row.attempt,
  delay_ms: row.delay_ms,
  detected_at: isoOrNull(row.detected_at),
  started_at: isoOrNull(row.started_at),
  duration_ms: row.duration_ms,
  error: row.error,
});

/**
 * Auto-heal history in PostgreSQL: newest first by insertion; tallies are a GROUP BY over it.
 * @example const heal = postgresHealHistoryStore(db)
 */
export function postgresHealHistoryStore(db: Database): HealHistoryStore & { close(): Promise<void> } {
  const history = db.t('heal_history');
  const purged = db.t('heal_purged');
  return {
    async append(r) {
      await db.query(
        `INSERT INTO ${history} (${COLUMNS})
         VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8::json, $9, $10, $11::timestamptz, $12::timestamptz, $13, $14)`,
        [
          r.id,
          timeParam(r.ts, 'ts'),
          r.service,
          r.action,
          r.outcome,
          r.reason,
          r.message,
          r.probe === null ? null : json(r.probe),
          r.attempt,
          r.delay_ms,
          timeParamOrNull(r.detected_at, 'detected_at'),
          timeParamOrNull(r.started_at, 'started_at'),
          r.duration_ms,
          r.error,
        ],
      );
    },
    async list({ limit, service, outcome }) {
      const params: unknown[] = [Math.max(0, Math.floor(limit))];
      const where: string[] = [];
      if (service !== undefined) where.push(`service = $${params.push(service)}`);
      if (outcome !== undefined) where.push(`outcome = $${params.push(outcome)}`);
      const { rows } = await db.query<HealRow>(
        `SELECT ${COLUMNS} FROM ${history} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT $1`,
        params,
      );
      return rows.map(recordOf);
    },
    // Records a retention pass removed live on in heal_purged (see retention.ts), so count and tally keep them.
    async count() {
      const { rows } = await db.query<{ n: string }>(`SELECT (SELECT count(*) FROM ${history}) + (SELECT coalesce(sum(n), 0) FROM ${purged}) AS n`);
      return int(rows[0]?.n ?? 0);
    },
    async tally() {
      const { rows } = await db.query<{ service: string; outcome: HealOutcome; n: string }>(
        `SELECT service, outcome, sum(n) AS n FROM (
           SELECT service, outcome, count(*) AS n FROM ${history} GROUP BY service, outcome
           UNION ALL SELECT service, outcome, n FROM ${purged}
         ) kept GROUP BY service, outcome`,
      );
      return rows.map((r) => ({ service: r.service, outcome: r.outcome, count: int(r.n) }));
    },
    async close() {},
  };
}
