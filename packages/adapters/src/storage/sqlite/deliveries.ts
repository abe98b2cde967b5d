import {
  afterAttempt,
  decodeDeliveryCursor,
  deliveryIdTaken,
  emptyDeliveryCounts,
  encodeDeliveryCursor,
  newDelivery,
  replayOf,
  timeParam,
  type DeliveryAttempt,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryStore,
} from '@aetherlink/core';
import { guarded as guard, type SqliteDatabase } from './database.js';
import { statementCache } from './statements.js';

interface DeliveryRow extends Omit<DeliveryRecord, 'payload' | 'headers'> {
  payload: string;
  headers: string;
}

const COLUMNS = [
  'id', 'webhook_id', 'endpoint', 'payload', 'headers', 'status', 'attempts', 'max_attempts', 'next_attempt_at', 'lease_owner', 'leased_until',
  'last_error', 'last_status_code', 'event_type', 'event_id', 'rule_id', 'tenantid', 'replay_of', 'created_at', 'updated_at', 'delivered_at',
] as const;

const toRecord = (r: DeliveryRow): DeliveryRecord => ({ ...r, payload: JSON.parse(r.payload), headers: JSON.parse(r.headers) });
const toRow = (d: DeliveryRecord) => ({ ...d, payload: JSON.stringify(d.payload ?? null), headers: JSON.stringify(d.headers) });
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The delivery queue in SQLite: one process leases at a time (SQLite serialises writers), so each item goes to
 * one worker; leases, retries, the dead letter, history and replay survive restarts.
 * @example const worker = createDeliveryWorker({ store: sqliteDeliveryStore(db), send, owner })
 */
export function sqliteDeliveryStore(db: SqliteDatabase): DeliveryStore {
  const stmt = statementCache(db);
  const insertSql = `INSERT INTO deliveries (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`;
  const get = (id: string) => {
    const row = stmt('SELECT * FROM deliveries WHERE id = ?').get(id) as DeliveryRow | undefined;
    return row ? toRecord(row) : undefined;
  };
  const setFields = (id: string, fields: Partial<DeliveryRecord>) => {
    const keys = Object.keys(fields);
    stmt(`UPDATE deliveries SET ${keys.map((k) => `${k} = @${k}`).join(', ')} WHERE id = @id`).run({ ...fields, id });
  };

  const leaseTx = db.transaction((owner: string, now: number, leaseMs: number, limit: number) => {
    const nowIso = iso(now);
    const rows = stmt(
      `SELECT * FROM deliveries
       WHERE (status IN ('pending', 'failed') AND next_attempt_at <= @now) OR (status = 'leased' AND leased_until < @now)
       ORDER BY CASE status WHEN 'leased' THEN leased_until ELSE next_attempt_at END, id
       LIMIT @limit`,
    ).all({ now: nowIso, limit }) as DeliveryRow[];
    const until = iso(now + leaseMs);
    return rows.map((row) => {
      const fields = { status: 'leased' as DeliveryStatus, lease_owner: owner, leased_until: until, updated_at: nowIso };
      setFields(row.id, fields);
      return toRecord({ ...row, ...fields });
    });
  });

  const finishTx = db.transaction((id: string, owner: string, attempt: DeliveryAttempt, outcome: 'delivered' | 'failed', retryAt: number | null) => {
    const current = get(id);
    if (!current || current.status !== 'leased' || current.lease_owner !== owner) return false;
    setFields(id, afterAttempt(current, attempt, outcome, retryAt));
    stmt('INSERT INTO delivery_attempts (delivery_id, attempt, at, duration_ms, status_code, error) VALUES (?, ?, ?, ?, ?, ?)').run(
      id, attempt.attempt, attempt.at, attempt.duration_ms, attempt.status_code, attempt.error,
    );
    return true;
  });

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
    lease: ({ owner, now, leaseMs, limit }) => guard(() => leaseTx.immediate(owner, now, leaseMs, limit)),
    complete: (id, owner, attempt) => guard(() => finishTx.immediate(id, owner, attempt, 'delivered', null)),
    fail: (id, owner, attempt, retryAt) => guard(() => finishTx.immediate(id, owner, attempt, 'failed', retryAt)),
    releaseExpired: (now) =>
      guard(
        () =>
          stmt(
            `UPDATE deliveries SET status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END, lease_owner = NULL, leased_until = NULL,
             next_attempt_at = @now, updated_at = @now WHERE status = 'leased' AND leased_until < @now`,
          ).run({ now: iso(now) }).changes,
      ),
    get: (id) =>
      guard(() => {
        const record = get(id);
        if (!record) return null;
        const attempt_log = stmt('SELECT attempt, at, duration_ms, status_code, error FROM delivery_attempts WHERE delivery_id = ? ORDER BY at, attempt').all(id) as DeliveryAttempt[];
        return { ...record, attempt_log };
      }),
    history: (q) =>
      guard(() => {
        const where: string[] = [];
        const params: Record<string, unknown> = { limit: q.limit + 1 };
        const statuses = q.status === undefined ? [] : typeof q.status === 'string' ? [q.status] : [...q.status];
        if (statuses.length) {
          where.push(`status IN (${statuses.map((_, i) => `@s${i}`).join(', ')})`);
          statuses.forEach((s, i) => (params[`s${i}`] = s));
        }
        if (q.since !== undefined) (where.push('created_at >= @since'), (params.since = timeParam(q.since, 'since')));
        if (q.endpoint !== undefined) (where.push('endpoint = @endpoint'), (params.endpoint = q.endpoint));
        if (q.tenantid !== undefined) (where.push('tenantid = @tenantid'), (params.tenantid = q.tenantid));
        if (q.cursor !== undefined) {
          const c = decodeDeliveryCursor(q.cursor);
          where.push('(created_at, id) < (@c_created, @c_id)');
          params.c_created = c.created_at;
          params.c_id = c.id;
        }
        const sql = `SELECT * FROM deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT @limit`;
        const rows = (stmt(sql).all(params) as DeliveryRow[]).map(toRecord);
        const page = rows.slice(0, q.limit);
        const last = page[page.length - 1];
        return { deliveries: page, next_cursor: rows.length > q.limit && last ? encodeDeliveryCursor(last) : null };
      }),
    replay: (ids, now) => guard(() => replayTx.immediate(ids, now)),
    stats: (now) =>
      guard(() => {
        const by = emptyDeliveryCounts();
        for (const r of stmt('SELECT status, count(*) AS n FROM deliveries GROUP BY status').all() as { status: DeliveryStatus; n: number }[]) by[r.status] = r.n;
        const due = (stmt("SELECT count(*) AS n FROM deliveries WHERE status IN ('pending', 'failed') AND next_attempt_at <= ?").get(iso(now)) as { n: number }).n;
        const oldest = (stmt("SELECT min(created_at) AS t FROM deliveries WHERE status IN ('pending', 'failed', 'leased')").get() as { t: string | null }).t;
        return { total: Object.values(by).reduce((a, b) => a + b, 0), by_status: by, due, oldest_pending_at: oldest };
      }),
  };
}
