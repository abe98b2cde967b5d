import { checkPurgeRequest, FINISHED_DELIVERY_STATUSES, purgeCount, type DeliveryStore, type HealHistoryStore } from '@aetherlink/core';
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
 * `purge` of the PostgreSQL heal history; `count` and `stats` read the per-service counters, which keep every record.
 * @example const heal = Object.assign(postgresHealHistoryStore(db), postgresHealRetention(db))
 */
export function postgresHealRetention(db: Database): Required<Pick<HealHistoryStore, 'purge'>> {
  const history = db.t('heal_history');
  return {
    async purge(request) {
      const checked = checkPurgeRequest(request);
      const oldest = await db.query<{ seq: string; ts: Date }>(`SELECT seq, ts FROM ${history} ORDER BY seq LIMIT $1`, [checked.limit]);
      const span = await db.query<{ n: string | null }>(`SELECT max(seq) - min(seq) + 1 AS n FROM ${history}`);
      const n = purgeCount(oldest.rows.map((r) => r.ts.getTime()), int(span.rows[0]?.n ?? 0), checked);
      if (n === 0) return 0;
      const { rowCount } = await db.query(`DELETE FROM ${history} WHERE seq = ANY($1::bigint[])`, [oldest.rows.slice(0, n).map((r) => r.seq)]);
      return rowCount ?? 0;
    },
  };
}
