import {
  AetherError,
  decodeDeliveryCursor,
  emptyDeliveryCounts,
  encodeDeliveryCursor,
  newDelivery,
  replayOf,
  type DeliveryOutcome,
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
  'id, webhook_id, endpoint, endpoint_id, payload, headers, status, attempts, max_attempts, next_attempt_at, lease_owner, leased_until, last_error, ' +
  'last_status_code, event_type, event_id, rule_id, tenantid, replay_of, created_at, updated_at, delivered_at';

const recordOf = (row: DeliveryRow): DeliveryRecord => ({
  id: row.id,
  webhook_id: row.webhook_id,
  endpoint: row.endpoint,
  endpoint_id: row.endpoint_id,
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
  at: Date | string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_body: string | null;
}

const attemptOf = (a: AttemptRow) => ({
  attempt: a.attempt,
  at: isoOf(a.at),
  duration_ms: a.duration_ms,
  status_code: a.status_code,
  error: a.error,
  response_body: a.response_body,
});

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
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $22::text[], $4::json[], $5::jsonb[], $6::text[], $7::int[], $8::int[],
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
      col((r) => r.endpoint_id),
    ];
  };

  // One statement for a whole batch: the owner checks, each record's new state and the attempt rows move together
  // or not at all. Which fields an outcome changes mirrors afterOutcome (core); `attempts` is only known to the row.
  const settleSql = `
    WITH input AS (
      SELECT * FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::int[],
                           $10::float8[], $11::text[])
        AS i(ord, id, kind, attempt, at, next_at, error, status_code, duration_ms, response_body)
    ), done AS (
      UPDATE ${deliveries} d SET
        status = CASE i.kind WHEN 'delivered' THEN 'delivered'
                             WHEN 'failed' THEN CASE WHEN i.next_at IS NULL THEN 'dead_letter' ELSE 'retrying' END
                             WHEN 'released' THEN CASE WHEN d.attempts > 0 THEN 'retrying' ELSE 'pending' END
                             ELSE 'cancelled' END,
        attempts = CASE WHEN i.kind IN ('delivered', 'failed') THEN GREATEST(d.attempts, i.attempt) ELSE d.attempts END,
        next_attempt_at = i.next_at,
        delivered_at = CASE WHEN i.kind = 'delivered' THEN i.at ELSE d.delivered_at END,
        last_error = CASE WHEN i.kind = 'released' THEN d.last_error ELSE i.error END,
        last_status_code = CASE WHEN i.kind IN ('delivered', 'failed') THEN i.status_code ELSE d.last_status_code END,
        lease_owner = NULL, leased_until = NULL, updated_at = i.at
      FROM input i
      WHERE d.id = i.id AND d.lease_owner = $1 AND d.status = 'delivering'
      RETURNING i.ord, d.endpoint_id
    ), logged AS (
      INSERT INTO ${attempts} (delivery_id, endpoint_id, attempt, at, duration_ms, status_code, error, response_body)
      SELECT i.id, done.endpoint_id, i.attempt, i.at, i.duration_ms, i.status_code, i.error, i.response_body
      FROM done JOIN input i ON i.ord = done.ord WHERE i.kind IN ('delivered', 'failed') ORDER BY i.ord
    )
    SELECT ord FROM done`;

  const settleParams = (owner: string, outcomes: readonly DeliveryOutcome[]) => {
    const cols: unknown[][] = Array.from({ length: 10 }, () => []);
    outcomes.forEach((o, ord) => {
      const attempt = o.outcome === 'delivered' || o.outcome === 'failed' ? o.attempt : null;
      const next = o.outcome === 'failed' ? o.retryAt : o.outcome === 'released' ? o.retryAt : null;
      const at = attempt ? timeParam(attempt.at, 'at') : iso((o as { at: number }).at);
      const error = attempt ? (o.outcome === 'delivered' ? null : attempt.error) : o.outcome === 'cancelled' ? o.reason : null;
      const row = [ord, o.id, o.outcome, attempt?.attempt ?? null, at, next === null ? null : iso(next), error, attempt?.status_code ?? null, attempt?.duration_ms ?? null, attempt?.response_body ?? null];
      row.forEach((v, i) => cols[i]!.push(v));
    });
    return [owner, ...cols];
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
      // Waiting items are due at next_attempt_at; held ones once their lease has run out (strictly).
      const { rows } = await db.query<DeliveryRow & { prior_due: Date }>(
        `WITH due AS (
           SELECT id, due_at FROM ${deliveries}
           WHERE due_at <= $1::timestamptz AND (status <> 'delivering' OR due_at < $1::timestamptz)
           ORDER BY due_at, id
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         )
         UPDATE ${deliveries} d SET status = 'delivering', lease_owner = $3, leased_until = $4::timestamptz, updated_at = $1::timestamptz
         FROM due WHERE d.id = due.id
         RETURNING ${COLUMNS.split(', ').map((c) => `d.${c}`).join(', ')}, due.due_at AS prior_due`,
        [iso(now), Math.floor(limit), owner, iso(now + leaseMs)],
      );
      return rows
        .sort((a, b) => a.prior_due.getTime() - b.prior_due.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
        .map(recordOf);
    },
    async settle(owner, outcomes) {
      if (outcomes.length === 0) return [];
      // An id given twice in one batch: its first outcome counts, as it would settled one by one.
      const first = new Map<string, number>();
      outcomes.forEach((o, i) => first.has(o.id) || first.set(o.id, i));
      const unique = [...first.values()].map((i) => outcomes[i]!);
      const { rows } = await db.query<{ ord: number }>(settleSql, settleParams(owner, unique));
      const applied = new Set(rows.map((r) => unique[r.ord]!.id));
      return outcomes.map((o, i) => first.get(o.id) === i && applied.has(o.id));
    },
    async cancel({ ids, endpoint_id, reason, now }) {
      if (ids !== undefined && ids.length === 0) return 0;
      const values: unknown[] = [reason, iso(now)];
      const where = ["status IN ('pending', 'retrying')"];
      if (ids !== undefined) (values.push([...ids]), where.push(`id = ANY($${values.length}::text[])`));
      if (endpoint_id !== undefined) (values.push(endpoint_id), where.push(`endpoint_id = $${values.length}`));
      const { rowCount } = await db.query(
        `UPDATE ${deliveries} SET status = 'cancelled', next_attempt_at = NULL, last_error = $1, updated_at = $2::timestamptz WHERE ${where.join(' AND ')}`,
        values,
      );
      return rowCount ?? 0;
    },
    async releaseExpired(now) {
      const { rowCount } = await db.query(
        `UPDATE ${deliveries} SET status = CASE WHEN attempts > 0 THEN 'retrying' ELSE 'pending' END,
           lease_owner = NULL, leased_until = NULL, next_attempt_at = $1::timestamptz, updated_at = $1::timestamptz
         WHERE status = 'delivering' AND leased_until < $1::timestamptz`,
        [iso(now)],
      );
      return rowCount ?? 0;
    },
    async get(id) {
      const { rows } = await db.query<DeliveryRow & { attempt_log: AttemptRow[] | null }>(
        `SELECT ${COLUMNS},
           (SELECT json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'duration_ms', a.duration_ms,
                                              'status_code', a.status_code, 'error', a.error, 'response_body', a.response_body) ORDER BY a.seq)
            FROM ${attempts} a WHERE a.delivery_id = d.id) AS attempt_log
         FROM ${deliveries} d WHERE id = $1`,
        [id],
      );
      const row = rows[0];
      if (!row) return null;
      return { ...recordOf(row), attempt_log: (row.attempt_log ?? []).map(attemptOf) };
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
      if (q.endpoint_id !== undefined) where.push(`endpoint_id = ${p(q.endpoint_id)}`);
      if (q.ids !== undefined) where.push(`id = ANY(${p([...q.ids])}::text[])`);
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
    async attempts({ endpoint_id, limit }) {
      const { rows } = await db.query<AttemptRow & { delivery_id: string }>(
        `SELECT delivery_id, attempt, at, duration_ms, status_code, error, response_body FROM ${attempts}
         WHERE endpoint_id = $1 ORDER BY seq DESC LIMIT $2`,
        [endpoint_id, Math.max(0, Math.floor(limit))],
      );
      return rows.map((r) => ({ ...attemptOf(r), delivery_id: r.delivery_id }));
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
      const { rows } = await db.query<{ status: DeliveryStatus; n: string; due: string; oldest: Date | null; oldest_due: Date | null }>(
        `SELECT status, count(*) AS n,
           count(*) FILTER (WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1::timestamptz) AS due,
           min(next_attempt_at) FILTER (WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1::timestamptz) AS oldest_due,
           min(created_at) FILTER (WHERE status IN ('pending', 'retrying', 'delivering')) AS oldest
         FROM ${deliveries} GROUP BY status`,
        [iso(now)],
      );
      const by = emptyDeliveryCounts();
      let total = 0;
      let due = 0;
      let oldest: Date | null = null;
      let oldestDue: Date | null = null;
      for (const row of rows) {
        by[row.status] = int(row.n);
        total += int(row.n);
        due += int(row.due);
        if (row.oldest && (!oldest || row.oldest < oldest)) oldest = row.oldest;
        if (row.oldest_due && (!oldestDue || row.oldest_due < oldestDue)) oldestDue = row.oldest_due;
      }
      return { total, by_status: by, due, oldest_pending_at: isoOrNull(oldest), oldest_due_at: isoOrNull(oldestDue) };
    },
    async close() {},
  };
}
