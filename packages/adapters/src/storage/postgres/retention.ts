import { checkPurgeRequest, FINISHED_DELIVERY_STATUSES, purgeCount, type DeliveryStore, type HealHistoryStore } from '@aetherlink/core';
import type { PoolClient } from 'pg';
import type { Database } from './pool.js';
import { int } from './rows.js';

// Retention of the delivery queue and of the heal history, apart from those stores' own lifecycles: each call
// removes at most `limit` rows, chosen first and then deleted by key with the condition checked again.

/**
 * `purgeFinished` and `purgeDeadLetters` of the PostgreSQL delivery queue; attempts go with their delivery (ON DELETE CASCADE).
 * @example const deliveries = Object.assign(postgresDeliveryStore(db), postgresDeliveryRetention(db))
 */
export function postgresDeliveryRetention(db: Database): Required<Pick<DeliveryStore, 'purgeFinished' | 'purgeDeadLetters'>> {
  const deliveries = db.t('deliveries');
  const finished = `(d.status = ANY($1::text[]) OR (d.status = 'dead_letter' AND EXISTS (SELECT 1 FROM ${deliveries} r WHERE r.replay_of = d.id)))`;
  const statuses = [...FINISHED_DELIVERY_STATUSES];
  return {
    async purgeFinished(request) {
      const checked = checkPurgeRequest(request);
      const oldest = await db.query<{ id: string; created_at: Date }>(
        `SELECT id, created_at FROM ${deliveries} d WHERE ${finished} ORDER BY created_at, id LIMIT $2`,
        [statuses, checked.limit],
      );
      let held = 0;
      if (checked.keepNewest !== undefined) held = int((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${deliveries} d WHERE ${finished}`, [statuses])).rows[0]!.n);
      const n = purgeCount(oldest.rows.map((r) => r.created_at.getTime()), held, checked);
      if (n === 0) return 0;
      const { rowCount } = await db.query(`DELETE FROM ${deliveries} d WHERE id = ANY($2::text[]) AND ${finished}`, [statuses, oldest.rows.slice(0, n).map((r) => r.id)]);
      return rowCount ?? 0;
    },
    async purgeDeadLetters(request) {
      const checked = checkPurgeRequest(request);
      const { rowCount } = await db.query(
        `DELETE FROM ${deliveries} WHERE id IN (
           SELECT id FROM ${deliveries} WHERE status = 'dead_letter'
             AND ($1::timestamptz IS NULL OR created_at < $1::timestamptz) AND ($2::text[] IS NULL OR id = ANY($2::text[]))
           ORDER BY created_at, id LIMIT $3
         ) AND status = 'dead_letter'`,
        [checked.olderThan ?? null, request.ids ? [...request.ids] : null, checked.limit],
      );
      return rowCount ?? 0;
    },
  };
}

/**
 * `purge` of the PostgreSQL heal history: removed records are folded into `heal_purged` by service and outcome in
 * the same transaction, so `count` and `tally` still count them.
 * @example const heal = Object.assign(postgresHealHistoryStore(db), postgresHealRetention(db))
 */
export function postgresHealRetention(db: Database): Required<Pick<HealHistoryStore, 'purge'>> {
  const history = db.t('heal_history');
  const purged = db.t('heal_purged');
  // Exactly the rows chosen go, and what went is folded in by the same statement.
  const purgeSql = `
    WITH gone AS (
      DELETE FROM ${history} WHERE seq = ANY($1::bigint[]) RETURNING service, outcome
    ),
    folded AS (
      INSERT INTO ${purged} (service, outcome, n)
      SELECT service, outcome, count(*) FROM gone GROUP BY service, outcome ORDER BY service, outcome
      ON CONFLICT (service, outcome) DO UPDATE SET n = ${purged}.n + EXCLUDED.n
    )
    SELECT count(*) AS n FROM gone`;
  return {
    async purge(request) {
      const checked = checkPurgeRequest(request);
      return db.transaction(async (client: PoolClient) => {
        const oldest = await client.query<{ seq: string; ts: Date }>(`SELECT seq, ts FROM ${history} ORDER BY seq LIMIT $1`, [checked.limit]);
        // A count, not the seq span: a sequence leaves gaps (rolled back inserts, other sessions' cached values).
        const held = checked.keepNewest === undefined ? 0 : int((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${history}`)).rows[0]!.n);
        const n = purgeCount(oldest.rows.map((r) => r.ts.getTime()), held, checked);
        if (n === 0) return 0;
        const { rows } = await client.query<{ n: string }>(purgeSql, [oldest.rows.slice(0, n).map((r) => r.seq)]);
        return int(rows[0]!.n);
      });
    },
  };
}
