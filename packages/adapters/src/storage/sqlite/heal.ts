import { healStatsFrom, type HealHistoryStore, type HealOutcome, type HealRecord } from '@aetherlink/core';
import { guarded, type SqliteDatabase } from './database.js';
import { statementCache } from './statements.js';

/**
 * Auto-heal history in SQLite.
 * @example const heal = sqliteHealHistoryStore(db)
 */
export function sqliteHealHistoryStore(db: SqliteDatabase): HealHistoryStore {
  const stmt = statementCache(db);
  const toRecord = (r: HealRecord & { seq: number }): HealRecord => {
    const { seq: _s, ...rest } = r;
    return rest;
  };
  // Records a retention pass removed live on in heal_purged (see retention.ts), so count and stats keep them.
  const kept = `SELECT service, outcome, count(*) AS n FROM heal_history GROUP BY service, outcome UNION ALL SELECT service, outcome, n FROM heal_purged`;
  return {
    append: (r) =>
      guarded(() => {
        stmt('INSERT INTO heal_history (id, ts, service, action, outcome, message, duration_ms, attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          r.id, r.ts, r.service, r.action, r.outcome, r.message, r.duration_ms, r.attempt,
        );
      }),
    list: ({ limit, service }) =>
      guarded(() => {
        const rows = service === undefined
          ? stmt('SELECT * FROM heal_history ORDER BY seq DESC LIMIT ?').all(limit)
          : stmt('SELECT * FROM heal_history WHERE service = ? ORDER BY seq DESC LIMIT ?').all(service, limit);
        return (rows as (HealRecord & { seq: number })[]).map(toRecord);
      }),
    count: () => guarded(() => stmt('SELECT (SELECT count(*) FROM heal_history) + (SELECT coalesce(sum(n), 0) FROM heal_purged)').pluck().get() as number),
    stats: () =>
      guarded(() => {
        const outcomes = stmt(`SELECT outcome, sum(n) AS n FROM (${kept}) GROUP BY outcome`).all() as { outcome: HealOutcome; n: number }[];
        const per = stmt(`SELECT service, sum(n) AS n FROM (${kept}) WHERE outcome != 'skipped' GROUP BY service`).all() as { service: string; n: number }[];
        const n = (o: HealOutcome) => outcomes.find((r) => r.outcome === o)?.n ?? 0;
        return healStatsFrom(n('succeeded'), n('failed'), per.map((r) => [r.service, r.n]));
      }),
  };
}
