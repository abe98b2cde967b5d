import {
  AetherError,
  afterAttempt,
  decodeDeliveryCursor,
  emptyDeliveryCounts,
  encodeDeliveryCursor,
  newDelivery,
  replayOf,
  type DeliveryAttempt,
  type DeliveryRecord,
  type DeliveryStatus,
  type DeliveryStore,
} from '@aetherlink/core';
import type { PoolClient } from 'pg';
import { constraintOf, sqlState } from './errors.js';
import type { Database } from './pool.js';
import { int, isoOf, isoOrNull, json, timeParam } from './rows.js';

/** A row as pg returns it: the record's fields, with timestamps as Dates. */
type DeliveryRow = Omit<DeliveryRecord, 'next_attempt_at' | 'leased_until' | 'created_at' | 'updated_at' | 'delivered_at'> & {
  next_attempt_at: Date | null;
  leased_until: Date | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
};

const COLUMNS =
  'id, webhook_id, endpoint, payload, headers, status, attempts, max_attempts, next_attempt_at, lease_owner, leased_until, last_error, ' +
  'last_status_code, event_type, event_id, rule_id, tenantid, replay_of, created_at, updated_at, delivered_at';

const recordOf = (row: DeliveryRow): DeliveryRecord => ({
  id: row.id,
  webhook_id: row.webhook_id,
  endpoint: row.endpoint,
  payload: row.payload ?? null,
  headers: row.headers,
  status: row.status,
  attempts: row.attempts,
  max_attempts: row.max_attempts,
  next_attempt_at: isoOrNull(row.next_attempt_at),
  lease_owner: row.lease_owner,
  leased_until: isoOrNull(row.leased_until),
  last_error: row.last_error,
  last_status_code: row.last_status_code,
  event_type: row.event_type,
  event_id: row.event_id,
  rule_id: row.rule_id,
  tenantid: row.tenantid,
  replay_of: row.replay_of,
  created_at: isoOf(row.created_at),
  updated_at: isoOf(row.updated_at),
  delivered_at: isoOrNull(row.delivered_at),
});

interface AttemptRow {
  attempt: number;
  at: Date;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The durable delivery queue in PostgreSQL. Leasing is one statement (`FOR UPDATE SKIP LOCKED` then UPDATE), so
 * instances sharing the table never lease the same item; finishing checks the owner and the status.
 * @example const worker = createDeliveryWorker({ store: postgresDeliveryStore(db), send, owner: instanceId() })
 */
export function postgresDeliveryStore(db: Database): DeliveryStore & { close(): Promise<void> } {
  const deliveries = db.t('deliveries');
  const attempts = db.t('delivery_attempts');

  // Many rows in one INSERT, whatever their number (arrays, not one parameter per value).
  const insertSql = `
    INSERT INTO ${deliveries} (${COLUMNS})
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::json[], $5::jsonb[], $6::text[], $7::int[], $8::int[],
                         $9::timestamptz[], $10::text[], $11::timestamptz[], $12::text[], $13::int[], $14::text[], $15::text[],
                         $16::text[], $17::text[], $18::text[], $19::timestamptz[], $20::timestamptz[], $21::timestamptz[])
    RETURNING ${COLUMNS}`;
  const insertParams = (records: DeliveryRecord[]) => {
    const col = <T>(pick: (r: DeliveryRecord) => T) => records.map(pick);
    return [
      col((r) => r.id),
      col((r) => r.webhook_id),
      col((r) => r.endpoint),
      col((r) => json(r.payload ?? null)),
      col((r) => json(r.headers)),
      col((r) => r.status),
      col((r) => r.attempts),
      col((r) => r.max_attempts),
      col((r) => r.next_attempt_at),
      col((r) => r.lease_owner),
      col((r) => r.leased_until),
      col((r) => r.last_error),
      col((r) => r.last_status_code),
      col((r) => r.event_type),
      col((r) => r.event_id),
      col((r) => r.rule_id),
      col((r) => r.tenantid),
      col((r) => r.replay_of),
      col((r) => r.created_at),
      col((r) => r.updated_at),
      col((r) => r.delivered_at),
    ];
  };

  // One statement: the owner check, the record's new state and the attempt log row move together or not at all.
  const finishSql = `
    WITH done AS (
      UPDATE ${deliveries} SET
        attempts = GREATEST(attempts, $3), status = $4, next_attempt_at = $5::timestamptz, delivered_at = COALESCE($6::timestamptz, delivered_at),
        last_error = $7, last_status_code = $8, lease_owner = NULL, leased_until = NULL, updated_at = $9::timestamptz
      WHERE id = $1 AND lease_owner = $2 AND status = 'leased'
      RETURNING id
    )
    INSERT INTO ${attempts} (delivery_id, attempt, at, duration_ms, status_code, error)
    SELECT id, $3, $9::timestamptz, $10, $8, $11 FROM done`;

  const finish = async (id: string, owner: string, attempt: DeliveryAttempt, outcome: 'delivered' | 'failed', retryAt: number | null) => {
    // The shared rule decides the new state; `attempts` is only known to the row, hence GREATEST in SQL.
    const next = afterAttempt({ attempts: 0 } as DeliveryRecord, attempt, outcome, retryAt);
    const { rowCount } = await db.query(finishSql, [
      id,
      owner,
      attempt.attempt,
      next.status,
      next.next_attempt_at ?? null,
      next.delivered_at ?? null,
      next.last_error ?? null,
      next.last_status_code ?? null,
      timeParam(attempt.at, 'at'),
      attempt.duration_ms,
      attempt.error,
    ]);
    return (rowCount ?? 0) > 0;
  };

  return {
    async enqueue(input, now) {
      const record = newDelivery(input, now);
      try {
        const { rows } = await db.query<DeliveryRow>(insertSql, insertParams([record]));
        return recordOf(rows[0]!);
      } catch (error) {
        if (sqlState(error) === '23505' && constraintOf(error) === 'deliveries_pkey') {
          throw new AetherError('conflict', `a delivery with id "${record.id}" already exists`, { errors: [{ field: 'id', message: 'is already taken' }], cause: error });
        }
        throw error;
      }
    },
    async lease({ owner, now, leaseMs, limit }) {
      if (limit <= 0) return [];
      // Pending/failed items are due at next_attempt_at; leased ones once their lease has run out (strictly).
      const { rows } = await db.query<DeliveryRow & { prior_due: Date }>(
        `WITH due AS (
           SELECT id, due_at FROM ${deliveries}
           WHERE due_at <= $1::timestamptz AND (status <> 'leased' OR due_at < $1::timestamptz)
           ORDER BY due_at, id
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         )
         UPDATE ${deliveries} d SET status = 'leased', lease_owner = $3, leased_until = $4::timestamptz, updated_at = $1::timestamptz
         FROM due WHERE d.id = due.id
         RETURNING ${COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}, due.due_at AS prior_due`,
        [iso(now), Math.floor(limit), owner, iso(now + leaseMs)],
      );
      return rows
        .sort((a, b) => a.prior_due.getTime() - b.prior_due.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map(recordOf);
    },
    complete: (id, owner, attempt) => finish(id, owner, attempt, 'delivered', null),
    fail: (id, owner, attempt, retryAt) => finish(id, owner, attempt, 'failed', retryAt),
    async releaseExpired(now) {
      const { rowCount } = await db.query(
        `UPDATE ${deliveries} SET status = CASE WHEN attempts > 0 THEN 'failed' ELSE 'pending' END,
           lease_owner = NULL, leased_until = NULL, next_attempt_at = $1::timestamptz, updated_at = $1::timestamptz
         WHERE status = 'leased' AND leased_until < $1::timestamptz`,
        [iso(now)],
      );
      return rowCount ?? 0;
    },
    async get(id) {
      const { rows } = await db.query<DeliveryRow & { attempt_log: AttemptRow[] | null }>(
        `SELECT ${COLUMNS},
           (SELECT json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'duration_ms', a.duration_ms,
                                              'status_code', a.status_code, 'error', a.error) ORDER BY a.seq)
            FROM ${attempts} a WHERE a.delivery_id = d.id) AS attempt_log
         FROM ${deliveries} d WHERE id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row) return null;
      const log = (row.attempt_log ?? []).map((a) => ({
        attempt: a.attempt,
        at: isoOf(a.at),
        duration_ms: a.duration_ms,
        status_code: a.status_code,
        error: a.error,
      }));
      return { ...recordOf(row), attempt_log: log };
    },
    async history(q) {
      const values: unknown[] = [];
      const p = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      const where: string[] = [];
      if (q.status !== undefined) where.push(`status = ANY(${p(typeof q.status === 'string' ? [q.status] : [...q.status])}::text[])`);
      if (q.since !== undefined) where.push(`created_at >= ${p(timeParam(q.since, 'since'))}::timestamptz`);
      if (q.endpoint !== undefined) where.push(`endpoint = ${p(q.endpoint)}`);
      if (q.tenantid !== undefined) where.push(`tenantid = ${p(q.tenantid)}`);
      if (q.cursor !== undefined) {
        const after = decodeDeliveryCursor(q.cursor);
        where.push(`(created_at, id) < (${p(after.created_at)}::timestamptz, ${p(after.id)})`);
      }
      const limit = Math.max(0, Math.floor(q.limit));
      const { rows } = await db.query<DeliveryRow>(
        `SELECT ${COLUMNS} FROM ${deliveries}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, id DESC LIMIT ${p(limit + 1)}`,
        values,
      );
      const page = rows.slice(0, limit).map(recordOf);
      const last = page[page.length - 1];
      return { deliveries: page, next_cursor: rows.length > limit && last ? encodeDeliveryCursor(last) : null };
    },
    async replay(ids, now) {
      if (ids.length === 0) return { replayed: [], missing: [] };
      return db.transaction(async (client: PoolClient) => {
        const found = await client.query<DeliveryRow>(`SELECT ${COLUMNS} FROM ${deliveries} WHERE id = ANY($1::text[])`, [[...new Set(ids)]]);
        const originals = new Map(found.rows.map((row) => [row.id, recordOf(row)]));
        const copies: DeliveryRecord[] = [];
        const missing: string[] = [];
        for (const id of ids) {
          const original = originals.get(id);
          if (original) copies.push(replayOf(original, now));
          else missing.push(id);
        }
        if (copies.length === 0) return { replayed: [], missing };
        const inserted = await client.query<DeliveryRow>(insertSql, insertParams(copies));
        const byId = new Map(inserted.rows.map((row) => [row.id, recordOf(row)]));
        return { replayed: copies.map((c) => byId.get(c.id)!), missing };
      });
    },
    async stats(now) {
      const { rows } = await db.query<{ status: DeliveryStatus; n: string; due: string; oldest: Date | null }>(
        `SELECT status, count(*) AS n,
           count(*) FILTER (WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1::timestamptz) AS due,
           min(created_at) FILTER (WHERE status IN ('pending', 'failed', 'leased')) AS oldest
         FROM ${deliveries} GROUP BY status`,
        [iso(now)],
      );
      const by = emptyDeliveryCounts();
      let total = 0;
      let due = 0;
      let oldest: Date | null = null;
      for (const row of rows) {
        by[row.status] = int(row.n);
        total += int(row.n);
        due += int(row.due);
        if (row.oldest && (!oldest || row.oldest < oldest)) oldest = row.oldest;
      }
      return { total, by_status: by, due, oldest_pending_at: isoOrNull(oldest) };
    },
    async close() {},
  };
}
