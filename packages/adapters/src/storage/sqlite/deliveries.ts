import {
  afterOutcome,
  attemptOf,
  decodeDeliveryCursor,
  deliveryIdTaken,
  emptyDeliveryCounts,
  encodeDeliveryCursor,
  newDelivery,
  replayOf,
  timeParam,
  type DeliveryAttempt,
  type DeliveryOutcome,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryStore,
  type EndpointAttempt,
} from '@aetherlink/core';
import { guarded as guard, type SqliteDatabase } from './database.js';
import { statementCache } from './statements.js';

interface DeliveryRow extends Omit<DeliveryRecord, 'payload' | 'headers'> {
  payload: string;
  headers: string;
}

const COLUMNS = [
  'id', 'webhook_id', 'endpoint', 'endpoint_id', 'payload', 'headers', 'status', 'attempts', 'max_attempts', 'next_attempt_at', 'lease_owner',
  'leased_until', 'last_error', 'last_status_code', 'event_type', 'event_id', 'rule_id', 'tenantid', 'replay_of', 'created_at', 'updated_at',
  'delivered_at',
] as const;
const SELECT = `SELECT ${COLUMNS.join(', ')} FROM deliveries`;
const ATTEMPT = 'attempt, at, duration_ms, status_code, error, response_body';

const toRecord = (r: DeliveryRow): DeliveryRecord => ({ ...r, payload: JSON.parse(r.payload), headers: JSON.parse(r.headers) });
const toRow = (d: DeliveryRecord) => ({ ...d, payload: JSON.stringify(d.payload ?? null), headers: JSON.stringify(d.headers) });
const iso = (ms: number) => new Date(ms).toISOString();
const list = <T>(values: readonly T[], prefix: string, params: Record<string, unknown>) => {
  values.forEach((v, i) => (params[`${prefix}${i}`] = v));
  return values.map((_, i) => `@${prefix}${i}`).join(', ');
};

/**
 * The delivery queue in SQLite: one process leases at a time (SQLite serialises writers), so each item goes to
 * one worker; leases, retries, the dead letter, history and replay survive restarts.
 * @example const worker = createDeliveryWorker({ store: sqliteDeliveryStore(db), send, owner })
 */
export function sqliteDeliveryStore(db: SqliteDatabase): DeliveryStore {
  const stmt = statementCache(db);
  const insertSql = `INSERT INTO deliveries (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`;
  const get = (id: string) => {
    const row = stmt(`${SELECT} WHERE id = ?`).get(id) as DeliveryRow | undefined;
    return row ? toRecord(row) : undefined;
  };
  const setFields = (id: string, fields: Partial<DeliveryRecord>) => {
    const keys = Object.keys(fields);
    stmt(`UPDATE deliveries SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...fields, id });
  };

  const leaseTx = db.transaction((owner: string, now: number, leaseMs: number, limit: number) => {
    const nowIso = iso(now);
    // Waiting items are due at next_attempt_at; held ones once their lease has run out (strictly).
    const rows = stmt(
      `${SELECT} WHERE due_at <= @now AND (status <> 'delivering' OR due_at < @now) ORDER BY due_at, id LIMIT @limit`,
    ).all({ now: nowIso, limit }) as DeliveryRow[];
    const until = iso(now + leaseMs);
    const take = stmt("UPDATE deliveries SET status = 'delivering', lease_owner = @owner, leased_until = @until, updated_at = @now WHERE id = @id");
    return rows.map((row) => {
      take.run({ owner, until, now: nowIso, id: row.id });
      return toRecord({ ...row, status: 'delivering', lease_owner: owner, leased_until: until, updated_at: nowIso });
    });
  });

  const settleTx = db.transaction((owner: string, outcomes: readonly DeliveryOutcome[]) =>
    outcomes.map((outcome) => {
      const current = stmt('SELECT attempts, endpoint_id, status, lease_owner FROM deliveries WHERE id = ?').get(outcome.id) as
        | Pick<DeliveryRecord, 'attempts' | 'endpoint_id' | 'status' | 'lease_owner'>
        | undefined;
      if (!current || current.status !== 'delivering' || current.lease_owner !== owner) return false;
      setFields(outcome.id, afterOutcome(current, outcome));
      const a = attemptOf(outcome);
      if (a) {
        stmt(`INSERT INTO delivery_attempts (delivery_id, endpoint_id, ${ATTEMPT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(
          outcome.id, current.endpoint_id, a.attempt, a.at, a.duration_ms, a.status_code, a.error, a.response_body,
        );
      }
      return true;
    }),
  );

  const replayTx = db.transaction((ids: readonly string[], now: number) => {
    const replayed: DeliveryRecord[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const original = get(id);
      if (!original) {
        missing.push(id);
        continue;
      }
      const copy = replayOf(original, now);
      stmt(insertSql).run(toRow(copy));
      replayed.push(copy);
    }
    return { replayed, missing };
  });

  return {
    enqueue: (input, now) =>
      guard(() => {
        const record = newDelivery(input, now);
        if (stmt('SELECT 1 FROM deliveries WHERE id = ?').get(record.id)) throw deliveryIdTaken(record.id);
        stmt(insertSql).run(toRow(record));
        return record;
      }),
    lease: ({ owner, now, leaseMs, limit }) => guard(() => (limit <= 0 ? [] : leaseTx.immediate(owner, now, leaseMs, Math.floor(limit)))),
    settle: (owner, outcomes) => guard(() => (outcomes.length === 0 ? [] : settleTx.immediate(owner, outcomes))),
    cancel: ({ ids, endpoint_id, reason, now }) =>
      guard(() => {
        if (ids !== undefined && ids.length === 0) return 0;
        const params: Record<string, unknown> = { reason, now: iso(now) };
        const where = ["status IN ('pending', 'retrying')"];
        if (ids !== undefined) where.push(`id IN (${list(ids, 'i', params)})`);
        if (endpoint_id !== undefined) (where.push('endpoint_id = @endpoint_id'), (params.endpoint_id = endpoint_id));
        return stmt(
          `UPDATE deliveries SET status = 'cancelled', next_attempt_at = NULL, last_error = @reason, updated_at = @now WHERE ${where.join(' AND ')}`,
        ).run(params).changes;
      }),
    releaseExpired: (now) =>
      guard(
        () =>
          stmt(
            `UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END, lease_owner = NULL, leased_until = NULL,
             next_attempt_at = @now, updated_at = @now WHERE status = 'delivering' AND leased_until < @now`,
          ).run({ now: iso(now) }).changes,
      ),
    get: (id) =>
      guard(() => {
        const record = get(id);
        if (!record) return null;
        const attempt_log = stmt(`SELECT ${ATTEMPT} FROM delivery_attempts WHERE delivery_id = ? ORDER BY rowid`).all(id) as DeliveryAttempt[];
        return { ...record, attempt_log };
      }),
    history: (q) =>
      guard(() => {
        if (q.ids !== undefined && q.ids.length === 0) return { deliveries: [], next_cursor: null };
        const where: string[] = [];
        const params: Record<string, unknown> = { limit: q.limit + 1 };
        const statuses = q.status === undefined ? [] : typeof q.status === 'string' ? [q.status] : [...q.status];
        if (statuses.length) where.push(`status IN (${list(statuses, 's', params)})`);
        if (q.since !== undefined) (where.push('created_at >= @since'), (params.since = timeParam(q.since, 'since')));
        if (q.endpoint !== undefined) (where.push('endpoint = @endpoint'), (params.endpoint = q.endpoint));
        if (q.endpoint_id !== undefined) (where.push('endpoint_id = @endpoint_id'), (params.endpoint_id = q.endpoint_id));
        if (q.tenantid !== undefined) (where.push('tenantid = @tenantid'), (params.tenantid = q.tenantid));
        // One parameter per id, bound to a known number of statement shapes: callers page ids in hundreds at most.
        if (q.ids !== undefined) where.push(`id IN (SELECT value FROM json_each(@ids))`), (params.ids = JSON.stringify(q.ids));
        if (q.cursor !== undefined) {
          const c = decodeDeliveryCursor(q.cursor);
          where.push('(created_at, id) < (@c_created, @c_id)');
          params.c_created = c.created_at;
          params.c_id = c.id;
        }
        const sql = `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT @limit`;
        const rows = (stmt(sql).all(params) as DeliveryRow[]).map(toRecord);
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        return { deliveries: page, next_cursor: rows.length > q.limit && last ? encodeDeliveryCursor(last) : null };
      }),
    attempts: ({ endpoint_id, limit }) =>
      guard(
        () =>
          stmt(`SELECT delivery_id, ${ATTEMPT} FROM delivery_attempts WHERE endpoint_id = ? ORDER BY rowid DESC LIMIT ?`).all(
            endpoint_id,
            Math.max(0, Math.floor(limit)),
          ) as EndpointAttempt[],
      ),
    replay: (ids, now) => guard(() => replayTx.immediate(ids, now)),
    stats: (now) =>
      guard(() => {
        const by = emptyDeliveryCounts();
        for (const r of stmt('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all() as { status: DeliveryStatus; n: number }[]) by[r.status] = r.n;
        const due = stmt("SELECT count(*) AS n, min(next_attempt_at) AS t FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?").get(
          iso(now),
        ) as { n: number; t: string | null };
        const oldest = (stmt("SELECT min(created_at) AS t FROM deliveries WHERE status IN ('pending', 'retrying', 'delivering')").get() as { t: string | null }).t;
        return { total: Object.values(by).reduce((a, b) => a + b, 0), by_status: by, due: due.n, oldest_pending_at: oldest, oldest_due_at: due.t };
      }),
  };
}
