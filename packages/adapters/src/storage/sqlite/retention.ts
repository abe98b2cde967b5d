import { checkPurgeRequest, FINISHED_DELIVERY_STATUSES, purgeCount, type CheckedPurge, type DeliveryStore, type HealHistoryStore } from '@aetherlink/core';
import { guarded, type SqliteDatabase } from './database.js';
import { statementCache } from './statements.js';

// Retention of the delivery queue and of the heal history, apart from those stores' own lifecycles: each call
// is one short IMMEDIATE transaction of at most `limit` rows.

/**
 * `purgeFinished` and `purgeDeadLetters` of the SQLite delivery queue; attempts go with their delivery (ON DELETE CASCADE).
 * @example const deliveries = { ...sqliteDeliveryStore(db), ...sqliteDeliveryRetention(db) }
 */
export function sqliteDeliveryRetention(db: SqliteDatabase): Required<Pick<DeliveryStore, 'purgeFinished' | 'purgeDeadLetters'>> {
  const stmt = statementCache(db);
  const finished = `(d.status IN (${FINISHED_DELIVERY_STATUSES.map((s) => `'${s}'`).join(', ')}) OR (d.status = 'dead_letter' AND EXISTS (SELECT 1 FROM deliveries r WHERE r.replay_of = d.id)))`;
  const remove = (ids: string[]) => stmt('DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(ids));

  const finishedTx = db.transaction((request: CheckedPurge) => {
    const rows = stmt(`SELECT id, created_at FROM deliveries d WHERE ${finished} ORDER BY created_at, id LIMIT ?`).all(request.limit) as { id: string; created_at: string }[];
    const held = request.keepNewest === undefined ? 0 : (stmt(`SELECT count(*) FROM deliveries d WHERE ${finished}`).pluck().get() as number);
    const n = purgeCount(rows.map((r) => Date.parse(r.created_at)), held, request);
    if (n > 0) remove(rows.slice(0, n).map((r) => r.id));
    return n;
  });
  const deadTx = db.transaction((request: CheckedPurge, ids: readonly string[] | undefined) => {
    const where = ["status = 'dead_letter'"];
    const params: unknown[] = [];
    if (request.olderThan !== undefined) (where.push('created_at < ?'), params.push(request.olderThan));
    if (ids !== undefined) (where.push('id IN (SELECT value FROM json_each(?))'), params.push(JSON.stringify(ids)));
    const rows = stmt(`SELECT id FROM deliveries WHERE ${where.join(' AND ')} ORDER BY created_at, id LIMIT ?`).all(...params, request.limit) as { id: string }[];
    if (rows.length > 0) remove(rows.map((r) => r.id));
    return rows.length;
  });
  return {
    purgeFinished: (request) => guarded(() => finishedTx.immediate(checkPurgeRequest(request))),
    purgeDeadLetters: (request) => guarded(() => deadTx.immediate(checkPurgeRequest(request), request.ids)),
  };
}

/**
 * `purge` of the SQLite heal history: removed records are folded into `heal_purged` by service and outcome, so
 * `count` and `stats` still count them.
 * @example const heal = { ...sqliteHealHistoryStore(db), ...sqliteHealRetention(db) }
 */
export function sqliteHealRetention(db: SqliteDatabase): Required<Pick<HealHistoryStore, 'purge'>> {
  const stmt = statementCache(db);
  const tx = db.transaction((request: CheckedPurge) => {
    const rows = stmt('SELECT seq, ts, service, outcome FROM heal_history ORDER BY seq LIMIT ?').all(request.limit) as { seq: number; ts: string; service: string; outcome: string }[];
    // Records only ever go from the oldest end, so the seq span is the count.
    const held = stmt('SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM heal_history').pluck().get() as number;
    const n = purgeCount(rows.map((r) => Date.parse(r.ts)), held, request);
    if (n === 0) return 0;
    const fold = stmt('INSERT INTO heal_purged (service, outcome, n) VALUES (?, ?, 1) ON CONFLICT (service, outcome) DO UPDATE SET n = n + 1');
    for (const r of rows.slice(0, n)) fold.run(r.service, r.outcome);
    stmt('DELETE FROM heal_history WHERE seq <= ?').run(rows[n - 1]!.seq);
    return n;
  });
  return { purge: (request) => guarded(() => tx.immediate(checkPurgeRequest(request))) };
}
