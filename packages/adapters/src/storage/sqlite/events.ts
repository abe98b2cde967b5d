import {
  checkPurgeRequest,
  checkStorableEvent,
  emptySeverityCounts,
  filterValues,
  parseTime,
  prefixRange,
  serializeData,
  splitTypes,
  timeParam,
  type AppendResult,
  type CheckedPurge,
  type CloudEvent,
  type EventQuery,
  type EventStats,
  type EventStore,
  type PurgeRequest,
  type Severity,
  type StoredEvent,
} from '@aetherlink/core';
import { guarded, translateError, type SqliteDatabase } from './database.js';
import { eventWrites, minuteOf, type EventOutcome, type EventRow, type EventWire } from './event-writes.js';
import { statementCache } from './statements.js';

const DAY_MS = 86_400_000;

function toEvent(r: EventRow): StoredEvent {
  const e: StoredEvent = {
    specversion: '1.0',
    id: r.id,
    source: r.source,
    type: r.type,
    time: r.time,
    datacontenttype: r.datacontenttype,
    data: JSON.parse(r.data),
    severity: r.severity,
    received_at: r.received_at,
    seq: r.seq,
  };
  if (r.tenantid !== null) e.tenantid = r.tenantid;
  if (r.subject !== null) e.subject = r.subject;
  if (r.traceparent !== null) e.traceparent = r.traceparent;
  if (r.dataschema !== null) e.dataschema = r.dataschema;
  return e;
}

/** One append waiting for its batch: its row checked and serialized, its promise's ends. */
interface Pending {
  event: CloudEvent;
  wire: EventWire;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/**
 * Where the event store's writes go: `eventWrites` on the same connection (inline), or the writer thread. Either
 * resolves each batch only after its commit.
 */
export interface EventWriter {
  commit(batch: EventWire[]): EventOutcome[] | Promise<EventOutcome[]>;
  commits(): number;
  purge(request: CheckedPurge): number | Promise<number>;
}

export interface SqliteEventStore extends EventStore {
  /** Transactions committed by group commit so far (each holds every append of one tick, or more). */
  commits(): number;
  /** Hands whatever waits to the writer now (close() does too, and waits for it). */
  flush(): void;
  /** Prepared query shapes held now; never more than the statement cache's bound. */
  statements(): number;
  purge(request: PurgeRequest): Promise<number>;
  close(): Promise<void>;
}

/**
 * Events in SQLite. Appends made in the same event-loop turn are checked and serialized here, then committed
 * together in one transaction by the writer (a thread of its own by default, see `sqliteStores`); each
 * `append()` resolves only after that commit. Reads run on this connection (WAL: they never wait for a writer).
 * @example const events = sqliteEventStore(openDatabase({ path: 'a.db' }))
 */
export function sqliteEventStore(db: SqliteDatabase, writer: EventWriter = eventWrites(db)): SqliteEventStore {
  const stmt = statementCache(db);
  let queue: Pending[] = [];
  let scheduled = false;
  const inFlight = new Set<Promise<unknown>>();

  const settle = (batch: Pending[], outcomes: EventOutcome[]) => {
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      const o = outcomes[i]!;
      if ('seq' in o) p.resolve({ event: { ...p.event, received_at: p.wire[12], seq: o.seq }, inserted: true });
      else if ('row' in o) p.resolve({ event: toEvent(o.row), inserted: false });
      else p.reject(o.error);
    }
  };

  const flush = () => {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    let outcomes: EventOutcome[] | Promise<EventOutcome[]>;
    try {
      outcomes = writer.commit(batch.map((p) => p.wire));
    } catch (error) {
      for (const p of batch) p.reject(translateError(error));
      return;
    }
    if (!(outcomes instanceof Promise)) return settle(batch, outcomes);
    const done = outcomes.then(
      (o) => settle(batch, o),
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
    inFlight.add(done);
    void done.finally(() => inFlight.delete(done));
  };

  return {
    kind: 'sqlite',
    append(event, receivedAt) {
      return new Promise<AppendResult>((resolve, reject) => {
        // Checked and serialized before joining a batch: one bad event must not fail the others' commit.
        let wire: EventWire;
        try {
          checkStorableEvent(event);
          // parseTime, not Date.parse: a time without an offset is UTC here, not the server's local time.
          const timeMs = parseTime(event.time);
          wire = [
            event.id,
            event.source,
            event.type,
            event.time,
            timeMs,
            event.severity,
            event.tenantid ?? null,
            event.subject ?? null,
            event.traceparent ?? null,
            event.dataschema ?? null,
            event.datacontenttype,
            serializeData(event.data),
            receivedAt,
          ];
        } catch (error) {
          reject(error);
          return;
        }
        queue.push({ event, wire, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    async query(q: EventQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const { exact, prefixes } = splitTypes(q.type);
      if (exact.length || prefixes.length) {
        const parts: string[] = [];
        if (exact.length) {
          parts.push(`type IN (${exact.map(() => '?').join(', ')})`);
          params.push(...exact);
        }
        for (const p of prefixes) {
          parts.push('(type >= ? AND type < ?)');
          params.push(...prefixRange(p));
        }
        where.push(`(${parts.join(' OR ')})`);
      }
      if (q.source !== undefined) {
        where.push('source = ?');
        params.push(q.source);
      }
      const severities = filterValues(q.severity, 'severity');
      if (severities.length) {
        where.push(`severity IN (${severities.map(() => '?').join(', ')})`);
        params.push(...severities);
      }
      if (q.tenantid !== undefined) {
        where.push('tenantid = ?');
        params.push(q.tenantid);
      }
      if (q.since !== undefined) {
        where.push('time_ms >= ?');
        params.push(Date.parse(timeParam(q.since, 'since')));
      }
      if (q.before !== undefined) {
        where.push('seq < ?');
        params.push(q.before);
      }
      if (q.after !== undefined) {
        where.push('seq > ?');
        params.push(q.after);
      }
      const sql = `SELECT * FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`;
      params.push(q.limit);
      return guarded(() => (stmt(sql).all(...params) as EventRow[]).map(toEvent));
    },
    stats: (now: number): Promise<EventStats> =>
      guarded(() => {
        const by = emptySeverityCounts();
        for (const r of stmt('SELECT severity, n FROM event_counts').all() as { severity: Severity; n: number }[]) by[r.severity] = r.n;
        // Whole minutes from the per-minute counters, the partial first minute from the time index: a bounded
        // amount of work however many events are stored.
        const from = now - DAY_MS;
        const minute = minuteOf(from);
        const whole = stmt('SELECT coalesce(sum(n), 0) AS n FROM event_minutes WHERE minute > ?').pluck().get(minute) as number;
        const edge = stmt('SELECT count(*) AS n FROM events WHERE time_ms >= ? AND time_ms < ?').pluck().get(from, (minute + 1) * 60_000) as number;
        return { total: by.info + by.warning + by.error + by.critical, last_24h: whole + edge, by_severity: by };
      }),
    purge: async (request) => writer.purge(checkPurgeRequest(request)),
    commits: () => writer.commits(),
    flush,
    statements: () => stmt.size(),
    async close() {
      flush();
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}
