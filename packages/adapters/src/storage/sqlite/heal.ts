import type { HealHistoryStore, HealOutcome, HealProbe, HealRecord } from '@aetherlink/core';
import { guarded, type SqliteDatabase } from './database.js';
import { statementCache } from './statements.js';

type HealRow = Omit<HealRecord, 'probe'> & { seq: number; probe: string | null };

const COLUMNS = 'id, ts, service, action, outcome, reason, message, probe, attempt, delay_ms, detected_at, started_at, duration_ms, error';

const recordOf = (r: HealRow): HealRecord => ({
  id: r.id,
  ts: r.ts,
  service: r.service,
  action: r.action,
  outcome: r.outcome,
  reason: r.reason,
  message: r.message,
  probe: r.probe === null ? null : (JSON.parse(r.probe) as HealProbe),
  attempt: r.attempt,
  delay_ms: r.delay_ms,
  detected_at: r.detected_at,
  started_at: r.started_at,
  duration_ms: r.duration_ms,
  error: r.error,
});

/**
 * Auto-heal history in SQLite.
 * @example const heal = sqliteHealHistoryStore(db)
 */
export function sqliteHealHistoryStore(db: SqliteDatabase): HealHistoryStore {
  const stmt = statementCache(db);
  // Records a retention pass removed live on in heal_purged (see retention.ts), so count and tally keep them.
  const kept = `SELECT service, outcome, count(*) AS n FROM heal_history GROUP BY service, outcome UNION ALL SELECT service, outcome, n FROM heal_purged`;
  return {
    append: (r) =>
      guarded(() => {
        stmt(`INSERT INTO heal_history (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
          r.id, r.ts, r.service, r.action, r.outcome, r.reason, r.message, r.probe === null ? null : JSON.stringify(r.probe),
          r.attempt, r.delay_ms, r.detected_at, r.started_at, r.duration_ms, r.error,
        );
      }),
    list: ({ limit, service, outcome }) =>
      guarded(() => {
        const where = [...(service === undefined ? [] : ['service = ?']), ...(outcome === undefined ? [] : ['outcome = ?'])];
        const params = [...(service === undefined ? [] : [service]), ...(outcome === undefined ? [] : [outcome]), Math.max(0, Math.floor(limit))];
        const sql = `SELECT seq, ${COLUMNS} FROM heal_history ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
        return (stmt(sql).all(...params) as HealRow[]).map(recordOf);
      }),
    count: () => guarded(() => stmt('SELECT (SELECT count(*) FROM heal_history) + (SELECT coalesce(sum(n), 0) FROM heal_purged)').pluck().get() as number),
    tally: () =>
      guarded(() =>
        (stmt(`SELECT service, outcome, sum(n) AS count FROM (${kept}) GROUP BY service, outcome`).all() as { service: string; outcome: HealOutcome; count: number }[]).map(
          (r) => ({ service: r.service, outcome: r.outcome, count: r.count }),
        ),
      ),
  };
}
