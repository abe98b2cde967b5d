import { healStatsFrom, isHealAttempt, type HealHistoryStore, type HealRecord } from '@aetherlink/core';
import type { Database } from './pool.js';
import { int, isoOf, timeParam } from './rows.js';

/** A row as pg returns it: the record's fields, with timestamps as Dates. */
type HealRow = Omit<HealRecord, 'ts'> & {
  ts: Date;
};

const recordOf = (row: HealRow): HealRecord => ({
  id: row.id,
  ts: isoOf(row.ts),
  service: row.service,
  action: row.action,
  outcome: row.outcome,
  message: row.message,
  duration_ms: row.duration_ms,
  attempt: row.attempt,
});

/**
 * Auto-heal history in PostgreSQL: newest first by insertion, with per-service counters kept in the same statement.
 * @example const heal = postgresHealHistoryStore(db)
 */
export function postgresHealHistoryStore(db: Database): HealHistoryStore & { close(): Promise<void> } {
  const history = db.t('heal_history');
  const counters = db.t('heal_counters');
  return {
    async append(record) {
      const attempt = isHealAttempt(record) ? 1 : 0;
      await db.query(
        `WITH ins AS (
           INSERT INTO ${history} (id, ts, service, action, outcome, message, duration_ms, attempt)
           VALUES ($1, $2::timestamptz, $3, $4, $5, $6, $7, $8)
         )
         INSERT INTO ${counters} (service, records, attempts, successful, failed) VALUES ($3, 1, $9, $10, $11)
         ON CONFLICT (service) DO UPDATE SET records = ${counters}.records + 1, attempts = ${counters}.attempts + EXCLUDED.attempts,
           successful = ${counters}.successful + EXCLUDED.successful, failed = ${counters}.failed + EXCLUDED.failed`,
        [
          record.id,
          timeParam(record.ts, 'ts'),
          record.service,
          record.action,
          record.outcome,
          record.message,
          record.duration_ms,
          record.attempt,
          attempt,
          record.outcome === 'succeeded' ? 1 : 0,
          record.outcome === 'failed' ? 1 : 0,
        ],
      );
    },
    async list({ limit, service }) {
      const { rows } = await db.query<HealRow>(
        `SELECT id, ts, service, action, outcome, message, duration_ms, attempt FROM ${history}
         ${service === undefined ? '' : 'WHERE service = $2'} ORDER BY seq DESC LIMIT $1`,
        service === undefined ? [Math.max(0, Math.floor(limit))] : [Math.max(0, Math.floor(limit)), service],
      );
      return rows.map(recordOf);
    },
    async count() {
      const { rows } = await db.query<{ n: string | null }>(`SELECT sum(records) AS n FROM ${counters}`);
      return int(rows[0]?.n ?? 0);
    },
    async stats() {
      const { rows } = await db.query<{ service: string; attempts: string; successful: string; failed: string }>(
        `SELECT service, attempts, successful, failed FROM ${counters}`,
      );
      const successful = rows.reduce((n, r) => n + int(r.successful), 0);
      const failed = rows.reduce((n, r) => n + int(r.failed), 0);
      return healStatsFrom(successful, failed, rows.map((r) => [r.service, int(r.attempts)] as [string, number]));
    },
    async close() {},
  };
}
