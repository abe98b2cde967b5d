import {
  checkPurgeRequest,
  checkStorableEvent,
  parseTime,
  serializeData,
  type AppendResult,
  type CheckedPurge,
  type CloudEvent,
  type EventQuery,
  type EventStats,
  type EventStore,
  type PurgeRequest,
} from '@aetherlink/core';
import { guarded, translateError, type SqliteDatabase } from './database.js';
import { sqliteEventBuckets } from './event-buckets.js';
import { eventReads, toEvent } from './event-reads.js';
import { eventWrites, type EventOutcome, type EventWire } from './event-writes.js';

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
  /**
   * A writer on another thread commits while this one goes on: a batch is handed over as soon as it holds this
   * many appends, not only at the end of the turn, so the two threads work at once. Unset: once per turn.
   */
  readonly handOverAt?: number;
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
  const reads = eventReads(db);
  let queue: Pending[] = [];
  let scheduled = false;
  const inFlight = new Set<Promise<unknown>>();
  const handOverAt = writer.handOverAt ?? 0;

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
        if (queue.length === handOverAt) return flush();
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    query: (q: EventQuery) => guarded(() => reads.query(q)),
    stats: (now: number): Promise<EventStats> => guarded(() => reads.stats(now)),
    countBuckets: sqliteEventBuckets(db),
    purge: async (request) => writer.purge(checkPurgeRequest(request)),
    commits: () => writer.commits(),
    flush,
    statements: () => reads.statements(),
    async close() {
      flush();
      while (inFlight.size) await Promise.allSettled([...inFlight]);
    },
  };
}
