import type Database from 'better-sqlite3';

/** An event waiting to be sent to the command center: a CloudEvents JSON object, sent as it is. */
export interface OutboxEntry {
  seq: number;
  type: string;
  event: Record<string, unknown>;
  attempts: number;
  next_attempt_at: number;
}

export interface OutboxTable {
  /** Adds an event (inside the caller's transaction when there is one). */
  append(event: { type: string } & Record<string, unknown>): number;
  /** The oldest events still to send, in order. */
  head(limit: number): OutboxEntry[];
  /** Sent: it leaves the outbox. */
  sent(seq: number): void;
  /** Not sent this time: try again at `nextAttemptAt` (ms since the epoch). */
  retryAt(seq: number, nextAttemptAt: number, error: string): void;
  /** Refused for good (the command center rejected it): kept aside with the reason, never sent again. */
  dead(seq: number, error: string, at: string): void;
  /** Events still to send. */
  pending(): number;
  /** Events refused for good. */
  deadCount(): number;
}

interface Row {
  seq: number;
  type: string;
  event: string;
  attempts: number;
  next_attempt_at: number;
}

/**
 * The outbox table: what a change commits together with its event, until the forwarder delivers it.
 * @example const outbox = outboxTable(db); outbox.append({ type: 'lead.created', ... })
 */
export function outboxTable(db: Database.Database): OutboxTable {
  const insert = db.prepare('INSERT INTO outbox (type, event) VALUES (?, ?)');
  const head = db.prepare('SELECT seq, type, event, attempts, next_attempt_at FROM outbox WHERE dead_at IS NULL ORDER BY seq LIMIT ?');
  const remove = db.prepare('DELETE FROM outbox WHERE seq = ?');
  const retry = db.prepare('UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ?');
  const bury = db.prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ?, dead_at = ? WHERE seq = ?');
  const pending = db.prepare('SELECT count(*) AS n FROM outbox WHERE dead_at IS NULL');
  const deadCount = db.prepare('SELECT count(*) AS n FROM outbox WHERE dead_at IS NOT NULL');
  return {
    append: (event) => Number(insert.run(event.type, JSON.stringify(event)).lastInsertRowid),
    head: (limit) => (head.all(limit) as Row[]).map((r) => ({ ...r, event: JSON.parse(r.event) as Record<string, unknown> })),
    sent: (seq) => void remove.run(seq),
    retryAt: (seq, nextAttemptAt, error) => void retry.run(nextAttemptAt, error.slice(0, 500), seq),
    dead: (seq, error, at) => void bury.run(error.slice(0, 500), at, seq),
    pending: () => (pending.get() as { n: number }).n,
    deadCount: () => (deadCount.get() as { n: number }).n,
  };
}
