import { checkStorableEvent, emptySeverityCounts, filterValues, isAetherError, parseTime, prefixRange, serializeData, splitTypes, timeParam, type AppendResult, type CloudEvent, type EventQuery, type EventStats, type EventStore, type Severity, type StoredEvent } from '@aetherlink/core';
import { guarded, translateError, type SqliteDatabase } from './database.js';
import { sqliteEventBuckets } from './event-buckets.js';
import { statementCache } from './statements.js';

interface EventRow {
  seq: number;
  id: string;
  source: string;
  type: string;
  time: string;
  severity: Severity;
  tenantid: string | null;
  subject: string | null;
  traceparent: string | null;
  dataschema: string | null;
  datacontenttype: string;
  data: string;
  received_at: string;
}

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

interface Pending {
  event: CloudEvent;
  receivedAt: string;
  /** `time` as epoch ms and `data` as JSON, both checked before the event joined a batch. */
  timeMs: number;
  json: string;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

export interface SqliteEventStore extends EventStore {
  /** Transactions committed by group commit so far (each holds every append of one tick). */
  commits(): number;
  /** Writes whatever waits now (close() does too). */
  flush(): void;
  /** Prepared query shapes held now; never more than the statement cache's bound. */
  statements(): number;
}

/**
 * Events in SQLite. Appends made in the same event-loop turn are committed together in one transaction, and
 * each `append()` resolves only after that commit.
 * @example const events = sqliteEventStore(openDatabase({ path: 'a.db' }))
 */
export function sqliteEventStore(db: SqliteDatabase): SqliteEventStore {
  const stmt = statementCache(db);
  // Positional parameters and run() rather than named ones and RETURNING: half the cost per row.
  const insert = db.prepare(
    `INSERT INTO events (id, source, type, time, time_ms, severity, tenantid, subject, traceparent, dataschema, datacontenttype, data, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING`,
  );
  const existing = db.prepare('SELECT * FROM events WHERE source = ? AND id = ?');
  const bump = db.prepare('INSERT INTO event_counts (severity, n) VALUES (?, ?) ON CONFLICT (severity) DO UPDATE SET n = n + excluded.n');
  let queue: Pending[] = [];
  let scheduled = false;
  let commits = 0;

  const commit = db.transaction((batch: Pending[]) => {
    const results: AppendResult[] = [];
    const counts = new Map<Severity, number>();
    for (const { event: e, receivedAt, timeMs, json } of batch) {
      const info = insert.run(
        e.id,
        e.source,
        e.type,
        e.time,
        timeMs,
        e.severity,
        e.tenantid ?? null,
        e.subject ?? null,
        e.traceparent ?? null,
        e.dataschema ?? null,
        e.datacontenttype,
        json,
        receivedAt,
      );
      if (info.changes === 1) {
        counts.set(e.severity, (counts.get(e.severity) ?? 0) + 1);
        results.push({ event: { ...e, received_at: receivedAt, seq: Number(info.lastInsertRowid) }, inserted: true });
      } else {
        results.push({ event: toEvent(existing.get(e.source, e.id) as EventRow), inserted: false });
      }
    }
    for (const [severity, n] of counts) bump.run(severity, n);
    return results;
  });

  // One transaction per batch; if it fails for a reason of one event's (not the disk's), each member is written
  // alone, so only the event at fault is refused.
  const flush = () => {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    let results: AppendResult[];
    try {
      results = commit.immediate(batch);
      commits++;
    } catch (error) {
      const err = translateError(error);
      if (batch.length === 1 || (isAetherError(err) && err.code === 'unavailable')) {
        for (const p of batch) p.reject(err);
        return;
      }
      for (const p of batch) writeAlone(p);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
  };

  const writeAlone = (p: Pending) => {
    try {
      const [result] = commit.immediate([p]);
      commits++;
      p.resolve(result!);
    } catch (error) {
      p.reject(translateError(error));
    }
  };

  return {
    kind: 'sqlite',
    append(event, receivedAt) {
      return new Promise<AppendResult>((resolve, reject) => {
        // Checked and serialized before joining a batch: one bad event must not fail the others' commit.
        let timeMs: number;
        let json: string;
        try {
          checkStorableEvent(event);
          // parseTime, not Date.parse: a time without an offset is UTC here, not the server's local time.
          timeMs = parseTime(event.time);
          json = serializeData(event.data);
        } catch (error) {
          reject(error);
          return;
        }
        queue.push({ event, receivedAt, timeMs, json, resolve, reject });
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
        const last = (stmt('SELECT count(*) AS n FROM events WHERE time_ms >= ?').get(now - DAY_MS) as { n: number }).n;
        return { total: by.info + by.warning + by.error + by.critical, last_24h: last, by_severity: by };
      }),
    countBuckets: sqliteEventBuckets(db),
    commits: () => commits,
    flush,
    statements: () => stmt.size(),
    async close() {
      flush();
    },
  };
}
