import { emptySeverityCounts, filterValues, prefixRange, splitTypes, timeParam, type EventQuery, type EventStats, type Severity, type StoredEvent } from '@aetherlink/core';
import type { SqliteDatabase } from './database.js';
import { minuteOf, type EventRow } from './event-writes.js';
import { statementCache } from './statements.js';

const DAY_MS = 86_400_000;
/** How many of the newest rows a `since` query looks through before it asks the time index for a bound. */
const NEWEST = 2000;

/**
 * A stored row as the event it holds.
 * @example rows.map(toEvent)
 */
export function toEvent(r: EventRow): StoredEvent {
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

/**
 * The event store's reads on one connection, each bounded however many events are stored: filters walk their
 * `(column, seq)` index in seq order, stats read counters, and `since` is kept off a walk through the whole table.
 * @example const reads = eventReads(db); reads.query({ limit: 50, severity: 'error' })
 */
export function eventReads(db: SqliteDatabase) {
  const stmt = statementCache(db);
  const all = (sql: string, params: unknown[]) => (stmt(sql).all(...params) as EventRow[]).map(toEvent);

  const query = (q: EventQuery): StoredEvent[] => {
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
    if (q.source !== undefined) (where.push('source = ?'), params.push(q.source));
    const severities = filterValues(q.severity, 'severity');
    if (severities.length) (where.push(`severity IN (${severities.map(() => '?').join(', ')})`), params.push(...severities));
    if (q.tenantid !== undefined) (where.push('tenantid = ?'), params.push(q.tenantid));
    const indexed = where.length > 0;
    const since = q.since === undefined ? undefined : Date.parse(timeParam(q.since, 'since'));
    if (since !== undefined) (where.push('time_ms >= ?'), params.push(since));
    if (q.before !== undefined) (where.push('seq < ?'), params.push(q.before));
    if (q.after !== undefined) (where.push('seq > ?'), params.push(q.after));
    const asc = q.order === 'asc';
    const sql = (extra?: string) => {
      const all = extra ? [...where, extra] : where;
      return `SELECT * FROM events ${all.length ? `WHERE ${all.join(' AND ')}` : ''} ORDER BY seq ${asc ? 'ASC' : 'DESC'} LIMIT ?`;
    };
    if (since === undefined) return all(sql(), [...params, q.limit]);
    // No (time, seq) index can serve "newest first since T": walking seq from the newest end is right while the
    // window holds recent events and a walk through the whole table when it holds none. So: the newest rows
    // first, and only if they do not fill the page, a walk from the smallest seq inside the window (found on
    // the time index). Oldest-first (stream replay) always starts from that bound.
    const bound = 'seq >= (SELECT min(seq) FROM events INDEXED BY events_time_severity WHERE time_ms >= ?)';
    if (!asc && !indexed) {
      const newest = all(sql('seq > (SELECT coalesce(max(seq), 0) FROM events) - ?'), [...params, NEWEST, q.limit]);
      if (newest.length >= q.limit) return newest;
    }
    if (asc || !indexed) return all(sql(bound), [...params, since, q.limit]);
    return all(sql(), [...params, q.limit]);
  };

  const stats = (now: number): EventStats => {
    const by = emptySeverityCounts();
    for (const r of stmt('SELECT severity, n FROM event_counts').all() as { severity: Severity; n: number }[]) by[r.severity] = r.n;
    // Whole minutes from the per-minute counters, the partial first minute from the time index: a bounded
    // amount of work however many events are stored.
    const from = now - DAY_MS;
    const minute = minuteOf(from);
    const whole = stmt('SELECT coalesce(sum(n), 0) AS n FROM event_minutes WHERE minute > ?').pluck().get(minute) as number;
    const edge = stmt('SELECT count(*) AS n FROM events WHERE time_ms >= ? AND time_ms < ?').pluck().get(from, (minute + 1) * 60_000) as number;
    return { total: by.info + by.warning + by.error + by.critical, last_24h: whole + edge, by_severity: by };
  };

  return { query, stats, statements: () => stmt.size() };
}
