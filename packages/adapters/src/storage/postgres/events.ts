import {
  AetherError,
  checkPurgeRequest,
  checkStorableEvent,
  cloneRecord,
  emptySeverityCounts,
  filterValues,
  isAetherError,
  isoTime,
  parseTime,
  prefixRange,
  purgeCount,
  serializeData,
  splitTypes,
  type AppendResult,
  type CloudEvent,
  type EventQuery,
  type EventStats,
  type EventStore,
  type Severity,
  type StoredEvent,
} from '@aetherlink/core';
import type { PoolClient } from 'pg';
import { postgresEventBuckets } from './event-buckets.js';
import { createEventWatcher, noticePayloads } from './event-watcher.js';
import { groupCommit } from './group-commit.js';
import { nameRefusedValue } from './errors.js';
import { eventChannel } from './names.js';
import type { Database } from './pool.js';
import { int, isoOf, timeParam } from './rows.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Rows per INSERT; one batch is one transaction. */
const MAX_BATCH = 500;

/** What one group commit wrote, for metrics and tests. */
export interface EventBatchInfo {
  /** Appends in the batch (duplicates included). */
  size: number;
  /** Rows actually inserted. */
  inserted: number;
  durationMs: number;
}

/** The PostgreSQL event store: an `EventStore` plus a way to wait until `watch` is live. */
export interface PostgresEventStore extends EventStore {
  readonly kind: 'postgres';
  watch(listener: (event: StoredEvent) => void): () => void;
  /** Resolves once this store LISTENs for other instances' events (at once when nothing watches). */
  listening(): Promise<void>;
  close(): Promise<void>;
}

interface EventRow {
  seq: string;
  source: string;
  id: string;
  type: string;
  time: Date;
  severity: Severity;
  tenantid: string | null;
  subject: string | null;
  traceparent: string | null;
  dataschema: string | null;
  specversion: '1.0';
  datacontenttype: string;
  data: unknown;
  received_at: Date;
}

const COLUMNS = 'seq, source, id, type, time, severity, tenantid, subject, traceparent, dataschema, specversion, datacontenttype, data, received_at';

function eventOf(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    specversion: row.specversion,
    id: row.id,
    source: row.source,
    type: row.type,
    time: isoOf(row.time),
    datacontenttype: row.datacontenttype,
    data: row.data ?? null,
    severity: row.severity,
    received_at: isoOf(row.received_at),
    seq: int(row.seq),
  };
  // Absent optional fields stay absent, as in the memory store.
  if (row.tenantid !== null) event.tenantid = row.tenantid;
  if (row.subject !== null) event.subject = row.subject;
  if (row.traceparent !== null) event.traceparent = row.traceparent;
  if (row.dataschema !== null) event.dataschema = row.dataschema;
  return event;
}

// PostgreSQL text cannot hold NUL (json data can: it stays escaped).
const TEXT_FIELDS = ['id', 'source', 'type', 'severity', 'datacontenttype', 'tenantid', 'subject', 'traceparent', 'dataschema'] as const;

const keyOf = (e: { source: string; id: string }) => `${e.source}\u0000${e.id}`;

/** One append waiting for its batch: the event checked, its time canonical and its data serialized already. */
interface Item {
  event: CloudEvent;
  receivedAt: string;
  json: string;
}

// A lost connection or a timeout is no one event's fault: writing each event alone would only fail again.
const mayBeOneEvents = (error: unknown) => !(isAetherError(error) && (error.code === 'unavailable' || error.code === 'timeout'));

/**
 * Events in PostgreSQL: appends group-committed, `source`+`id` unique, counts kept in the same transaction,
 * other instances' appends announced by NOTIFY.
 * @example const events = postgresEventStore(openDatabase({ connectionString }))
 */
export function postgresEventStore(db: Database, options: { onBatch?: (info: EventBatchInfo) => void } = {}): PostgresEventStore {
  const events = db.t('events');
  const counters = db.t('event_counters');
  const minutes = db.t('event_minutes');
  const channel = eventChannel(db.schema);

  // One statement inserts the new rows (in arrival order, so seqs follow it) and moves the counters.
  const insertSql = `
    WITH input AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
                           $8::text[], $9::text[], $10::text[], $11::text[], $12::json[], $13::timestamptz[])
        WITH ORDINALITY AS i(source, id, type, time, severity, tenantid, subject, traceparent, dataschema,
                             specversion, datacontenttype, data, received_at, ord)
    ),
    ins AS (
      INSERT INTO ${events} (source, id, type, time, severity, tenantid, subject, traceparent, dataschema,
                             specversion, datacontenttype, data, received_at, origin)
      SELECT source, id, type, time, severity, tenantid, subject, traceparent, dataschema,
             specversion, datacontenttype, data, received_at, $14 FROM input ORDER BY ord
      ON CONFLICT (source, id) DO NOTHING
      RETURNING ${COLUMNS}
    ),
    counted AS (
      INSERT INTO ${counters} (severity, n)
      SELECT severity, count(*) FROM ins GROUP BY severity ORDER BY severity
      ON CONFLICT (severity) DO UPDATE SET n = ${counters}.n + EXCLUDED.n
    ),
    per_minute AS (
      INSERT INTO ${minutes} (minute, n)
      SELECT floor(extract(epoch FROM time) / 60)::bigint, count(*) FROM ins GROUP BY 1 ORDER BY 1
      ON CONFLICT (minute) DO UPDATE SET n = ${minutes}.n + EXCLUDED.n
    )
    SELECT * FROM ins`;

  // Retention: exactly the rows chosen go (never `seq <=`: another instance may commit a lower seq meanwhile),
  // and the counters move in the same transaction, locked in the order appends lock them.
  const purgeSql = `
    WITH gone AS (
      DELETE FROM ${events} WHERE seq = ANY($1::bigint[]) RETURNING severity, time
    ),
    counted AS (
      INSERT INTO ${counters} (severity, n)
      SELECT severity, -count(*) FROM gone GROUP BY severity ORDER BY severity
      ON CONFLICT (severity) DO UPDATE SET n = ${counters}.n + EXCLUDED.n
    ),
    per_minute AS (
      INSERT INTO ${minutes} (minute, n)
      SELECT floor(extract(epoch FROM time) / 60)::bigint, -count(*) FROM gone GROUP BY 1 ORDER BY 1
      ON CONFLICT (minute) DO UPDATE SET n = ${minutes}.n + EXCLUDED.n
    )
    SELECT count(*) AS n FROM gone`;

  const writeBatch = async (batch: Item[]): Promise<AppendResult[]> => {
    const started = performance.now();
    // The first append of a key in the batch inserts; later ones in the same batch are its duplicates.
    const firsts = new Map<string, Item>();
    for (const item of batch) if (!firsts.has(keyOf(item.event))) firsts.set(keyOf(item.event), item);
    const unique = [...firsts.values()];
    const col = <T>(pick: (item: Item) => T) => unique.map(pick);

    const { inserted, existing } = await db.transaction(async (client: PoolClient) => {
      const ins = await client.query<EventRow>(insertSql, [
        col((x) => x.event.source),
        col((x) => x.event.id),
        col((x) => x.event.type),
        col((x) => x.event.time),
        col((x) => x.event.severity),
        col((x) => x.event.tenantid ?? null),
        col((x) => x.event.subject ?? null),
        col((x) => x.event.traceparent ?? null),
        col((x) => x.event.dataschema ?? null),
        col((x) => x.event.specversion ?? '1.0'),
        col((x) => x.event.datacontenttype),
        col((x) => x.json),
        col((x) => x.receivedAt),
        db.instanceId,
      ]);
      const inserted = new Map(ins.rows.map((row) => [keyOf(row), eventOf(row)]));
      const missing = unique.filter((x) => !inserted.has(keyOf(x.event)));
      const existing = new Map<string, StoredEvent>();
      if (missing.length > 0) {
        const found = await client.query<EventRow>(
          `SELECT ${COLUMNS} FROM ${events} WHERE (source, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
          [missing.map((x) => x.event.source), missing.map((x) => x.event.id)],
        );
        for (const row of found.rows) existing.set(keyOf(row), eventOf(row));
      }
      if (inserted.size > 0) {
        // Delivered by PostgreSQL only when this transaction commits.
        const seqs = [...inserted.values()].map((e) => e.seq).sort((a, b) => a - b);
        await client.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [channel, noticePayloads(db.instanceId, seqs)]);
      }
      return { inserted, existing };
    });

    try {
      options.onBatch?.({ size: batch.length, inserted: inserted.size, durationMs: performance.now() - started });
    } catch {
      // A metrics hook must not fail appends that are already committed.
    }
    const claimed = new Set<string>();
    return batch.map((item) => {
      const key = keyOf(item.event);
      const fresh = inserted.get(key);
      if (fresh && !claimed.has(key)) {
        claimed.add(key);
        return { event: cloneRecord(fresh), inserted: true };
      }
      const stored = fresh ?? existing.get(key);
      if (!stored) throw new AetherError('internal', `event ${item.event.source}/${item.event.id} was neither inserted nor found`);
      return { event: cloneRecord(stored), inserted: false };
    });
  };

  // An event written alone that the server refuses is named: `time` for a date/time error, `data` for a JSON one.
  const write = (batch: Item[]) =>
    batch.length > 1 ? writeBatch(batch) : writeBatch(batch).catch((error: unknown) => Promise.reject(nameRefusedValue(error, { time: 'time', json: 'data' })));
  const writer = groupCommit(write, { maxBatch: MAX_BATCH, retryAlone: mayBeOneEvents });

  const watcher = createEventWatcher(db, {
    channel,
    async fetch(seqs) {
      const { rows } = await db.query<EventRow>(`SELECT ${COLUMNS} FROM ${events} WHERE seq = ANY($1::bigint[]) ORDER BY seq`, [seqs]);
      return rows.map(eventOf);
    },
    async since(seq, limit) {
      const { rows } = await db.query<EventRow>(
        `SELECT ${COLUMNS} FROM ${events} WHERE seq > $1 AND origin IS DISTINCT FROM $2 ORDER BY seq LIMIT $3`,
        [seq, db.instanceId, limit],
      );
      return rows.map(eventOf);
    },
    async latest() {
      const { rows } = await db.query<{ seq: string | null }>(`SELECT max(seq) AS seq FROM ${events}`);
      return int(rows[0]?.seq ?? 0);
    },
  });

  return {
    kind: 'postgres',
    async append(event, receivedAt) {
      if (db.closed) await db.ready(); // rejects with `unavailable`
      // Checked and serialized here, before the event joins a batch, so one bad event cannot fail the others.
      for (const field of TEXT_FIELDS) {
        const value = event[field];
        if (typeof value === 'string' && value.includes('\u0000')) {
          throw new AetherError('validation_failed', `${field}: must not contain a NUL character`, { errors: [{ field, message: 'must not contain a NUL character' }] });
        }
      }
      checkStorableEvent(event);
      const time = isoTime(parseTime(event.time));
      const json = serializeData(event.data);
      return writer.push({ event: { ...event, time }, receivedAt: timeParam(receivedAt, 'received_at'), json });
    },
    async query(q: EventQuery) {
      const values: unknown[] = [];
      const p = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      const where: string[] = [];
      const { exact, prefixes } = splitTypes(q.type);
      if (exact.length > 0 || prefixes.length > 0) {
        // Prefixes become ranges over the COLLATE "C" column: index-friendly, and % or _ mean themselves.
        const any = prefixes.map((prefix) => {
          if (prefix === '') return 'true';
          const [from, to] = prefixRange(prefix);
          return `(type >= ${p(from)} AND type < ${p(to)})`;
        });
        if (exact.length > 0) any.push(`type = ANY(${p(exact)}::text[])`);
        where.push(`(${any.join(' OR ')})`);
      }
      if (q.source !== undefined) where.push(`source = ${p(q.source)}`);
      const severities = filterValues(q.severity, 'severity');
      if (severities.length > 0) where.push(`severity = ANY(${p(severities)}::text[])`);
      if (q.tenantid !== undefined) where.push(`tenantid = ${p(q.tenantid)}`);
      if (q.since !== undefined) where.push(`time >= ${p(timeParam(q.since, 'since'))}::timestamptz`);
      if (q.before !== undefined) where.push(`seq < ${p(q.before)}`);
      if (q.after !== undefined) where.push(`seq > ${p(q.after)}`);
      const order = q.order === 'asc' ? 'ASC' : 'DESC';
      const sql = `SELECT ${COLUMNS} FROM ${events}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT ${p(Math.max(0, Math.floor(q.limit)))}`;
      const { rows } = await db.query<EventRow>(sql, values);
      return rows.map(eventOf);
    },
    async stats(now: number): Promise<EventStats> {
      // Totals from the counters; the last 24 hours from the per-minute counters plus the partial first minute
      // from the time index: a bounded amount of work however many events are stored.
      const from = now - DAY_MS;
      const minute = Math.floor(from / 60_000);
      const { rows } = await db.query<{ k: string; n: string }>(
        `SELECT severity AS k, n FROM ${counters}
         UNION ALL SELECT '', (SELECT coalesce(sum(n), 0) FROM ${minutes} WHERE minute > $1)
           + (SELECT count(*) FROM ${events} WHERE time >= $2::timestamptz AND time < $3::timestamptz)`,
        [minute, new Date(from).toISOString(), new Date((minute + 1) * 60_000).toISOString()],
      );
      const stats: EventStats = { total: 0, last_24h: 0, by_severity: emptySeverityCounts() };
      for (const { k, n } of rows) {
        if (k === '') stats.last_24h = int(n);
        else {
          stats.by_severity[k as Severity] = int(n);
          stats.total += int(n);
        }
      }
      return stats;
    },
    async purge(request) {
      const checked = checkPurgeRequest(request);
      return db.transaction(async (client: PoolClient) => {
        const oldest = await client.query<{ seq: string; received_at: Date; minute: string }>(
          `SELECT seq, received_at, floor(extract(epoch FROM time) / 60)::bigint AS minute FROM ${events} ORDER BY seq LIMIT $1`,
          [checked.limit],
        );
        const total = await client.query<{ n: string }>(`SELECT coalesce(sum(n), 0) AS n FROM ${counters}`);
        const n = purgeCount(oldest.rows.map((r) => r.received_at.getTime()), int(total.rows[0]!.n), checked);
        if (n === 0) return 0;
        const gone = oldest.rows.slice(0, n);
        const { rows } = await client.query<{ n: string }>(purgeSql, [gone.map((r) => r.seq)]);
        await client.query(`DELETE FROM ${minutes} WHERE minute = ANY($1::bigint[]) AND n <= 0`, [[...new Set(gone.map((r) => r.minute))]]);
        return int(rows[0]!.n);
      });
    },
    countBuckets: postgresEventBuckets(db),
    watch(listener) {
      return watcher.add(listener);
    },
    listening: () => watcher.listening(),
    async close() {
      await writer.drain();
      await watcher.close();
    },
  };
}
