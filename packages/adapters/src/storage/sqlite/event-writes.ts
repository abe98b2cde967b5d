import { isAetherError, purgeCount, type CheckedPurge, type Severity } from '@aetherlink/core';
import { translateError, type SqliteDatabase } from './database.js';

/**
 * One append as the writer takes it: the INSERT's parameters in column order, checked and serialized by the
 * caller before the event joined a batch. A flat array is the cheapest thing to hand to another thread.
 */
export type EventWire = [
  id: string,
  source: string,
  type: string,
  time: string,
  timeMs: number,
  severity: Severity,
  tenantid: string | null,
  subject: string | null,
  traceparent: string | null,
  dataschema: string | null,
  datacontenttype: string,
  json: string,
  receivedAt: string,
];

/** A stored event row, as `SELECT *` returns it. */
export interface EventRow {
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

/** What became of one append: inserted at `seq`, already stored as `row`, or refused. */
export type EventOutcome = { seq: number } | { row: EventRow } | { error: unknown };

/** The write side of the event store: where the write connection lives (the writer thread, or inline). */
export interface EventWrites {
  /** Commits a batch in one transaction; when that fails for one event's sake, each is written alone. */
  commit(batch: readonly EventWire[]): EventOutcome[];
  /** Transactions committed so far. */
  commits(): number;
  /** Retention: removes the oldest events as the request says, counters moved in the same transaction. */
  purge(request: CheckedPurge): number;
}

/** The minute an event's time falls in (floor, so times before 1970 count in the right one). */
export const minuteOf = (ms: number) => Math.floor(ms / 60_000);

/**
 * The event store's writes on one connection: group commit with per-member retry, the severity and per-minute
 * counters kept in the same transaction, and retention.
 * @example const writes = eventWrites(db); writes.commit([wire])
 */
export function eventWrites(db: SqliteDatabase): EventWrites {
  // Positional parameters and run() rather than named ones and RETURNING: half the cost per row.
  const insert = db.prepare(
    `INSERT INTO events (id, source, type, time, time_ms, severity, tenantid, subject, traceparent, dataschema, datacontenttype, data, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING`,
  );
  const existing = db.prepare('SELECT * FROM events WHERE source = ? AND id = ?');
  const bump = db.prepare('INSERT INTO event_counts (severity, n) VALUES (?, ?) ON CONFLICT (severity) DO UPDATE SET n = n + excluded.n');
  const bumpMinute = db.prepare('INSERT INTO event_minutes (minute, n) VALUES (?, ?) ON CONFLICT (minute) DO UPDATE SET n = n + excluded.n');
  const dropEmptyMinute = db.prepare('DELETE FROM event_minutes WHERE minute = ? AND n <= 0');
  const total = db.prepare('SELECT coalesce(sum(n), 0) AS n FROM event_counts').pluck();
  const oldest = db.prepare('SELECT seq, severity, time_ms, received_at FROM events ORDER BY seq LIMIT ?');
  const removeUpTo = db.prepare('DELETE FROM events WHERE seq <= ?');
  let commits = 0;

  const count = (rows: readonly { severity: Severity; timeMs: number }[], sign: 1 | -1) => {
    const bySeverity = new Map<Severity, number>();
    const byMinute = new Map<number, number>();
    for (const { severity, timeMs } of rows) {
      bySeverity.set(severity, (bySeverity.get(severity) ?? 0) + 1);
      const m = minuteOf(timeMs);
      byMinute.set(m, (byMinute.get(m) ?? 0) + 1);
    }
    for (const [severity, n] of bySeverity) bump.run(severity, sign * n);
    for (const [minute, n] of byMinute) {
      bumpMinute.run(minute, sign * n);
      if (sign < 0) dropEmptyMinute.run(minute);
    }
  };

  const write = db.transaction((batch: readonly EventWire[]) => {
    const out: EventOutcome[] = [];
    const added: { severity: Severity; timeMs: number }[] = [];
    for (const w of batch) {
      const info = insert.run(w);
      if (info.changes === 1) {
        added.push({ severity: w[5], timeMs: w[4] });
        out.push({ seq: Number(info.lastInsertRowid) });
      } else {
        out.push({ row: existing.get(w[1], w[0]) as EventRow });
      }
    }
    count(added, 1);
    return out;
  });

  const purge = db.transaction((request: CheckedPurge) => {
    const rows = oldest.all(request.limit) as { seq: number; severity: Severity; time_ms: number; received_at: string }[];
    const n = purgeCount(rows.map((r) => Date.parse(r.received_at)), total.get() as number, request);
    if (n === 0) return 0;
    removeUpTo.run(rows[n - 1]!.seq);
    count(rows.slice(0, n).map((r) => ({ severity: r.severity, timeMs: r.time_ms })), -1);
    return n;
  });

  const alone = (w: EventWire): EventOutcome => {
    try {
      const [outcome] = write.immediate([w]);
      commits++;
      return outcome!;
    } catch (error) {
      return { error: translateError(error) };
    }
  };

  return {
    commit(batch) {
      try {
        const out = write.immediate(batch);
        commits++;
        return out;
      } catch (error) {
        // A full disk or a lock is no one event's fault: writing each alone would only fail again.
        const err = translateError(error);
        if (batch.length === 1 || (isAetherError(err) && err.code === 'unavailable')) return batch.map(() => ({ error: err }));
        return batch.map(alone);
      }
    },
    commits: () => commits,
    purge: (request) => purge.immediate(request),
  };
}
