import type { CloudEvent, Severity, StoredEvent } from '../events/envelope.js';
import type { EventFilter } from '../events/filter.js';

/** A page request against the event store. `before`/`after` are `seq` bounds (exclusive). */
export interface EventQuery extends EventFilter {
  limit: number;
  /** `desc` (newest first, the default) or `asc`. */
  order?: 'asc' | 'desc';
  before?: number;
  after?: number;
}

export interface EventStats {
  total: number;
  last_24h: number;
  by_severity: Record<Severity, number>;
}

export interface AppendResult {
  event: StoredEvent;
  /** False when an event with the same `source` and `id` was already stored; `event` is then the stored one. */
  inserted: boolean;
}

/**
 * Where events live. `source` + `id` is unique; `seq` increases with every insert.
 * An implementation resolves `append` only once the event is durable by its own standard.
 */
export interface EventStore {
  readonly kind: string;
  append(event: CloudEvent, receivedAt: string): Promise<AppendResult>;
  query(query: EventQuery): Promise<StoredEvent[]>;
  stats(now: number): Promise<EventStats>;
  close?(): Promise<void>;
}
