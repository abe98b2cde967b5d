import type { CloudEvent, StoredEvent } from '../../events/envelope.js';
import { checkStorableEvent } from '../../events/limits.js';
import { compileFilter } from '../../events/filter.js';
import { checkPurgeRequest, purgeCount } from '../purge.js';
import { cloneRecord } from '../shared.js';
import { countMemoryBuckets } from './event-buckets.js';
import type { AppendResult, EventQuery, EventStats, EventStore, PurgeRequest } from '../types.js';

export interface MemoryEventStoreOptions {
  /** Oldest events are dropped past this many. Default 100 000. */
  maxEvents?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The embedded default: events in memory, bounded, oldest dropped first.
 * @example const bus = createEventBus({ store: memoryEventStore({ maxEvents: 10_000 }) })
 */
export function memoryEventStore(options: MemoryEventStoreOptions = {}): EventStore {
  const max = options.maxEvents ?? 100_000;
  let events: StoredEvent[] = [];
  const byKey = new Map<string, StoredEvent>();
  let seq = 0;
  const key = (source: string, id: string) => `${source}\u0000${id}`;

  const trim = () => {
    // Drop in slices so eviction is amortised rather than a shift per insert.
    if (events.length <= max + Math.max(1, Math.floor(max / 10))) return;
    const dropped = events.slice(0, events.length - max);
    events = events.slice(events.length - max);
    for (const e of dropped) byKey.delete(key(e.source, e.id));
  };

  return {
    kind: 'memory',
    async append(event: CloudEvent, receivedAt: string): Promise<AppendResult> {
      // The same check as the persistent stores, so every store refuses the same events.
      checkStorableEvent(event);
      const k = key(event.source, event.id);
      const existing = byKey.get(k);
      if (existing) return { event: cloneRecord(existing), inserted: false };
      const stored: StoredEvent = { ...cloneRecord(event), received_at: receivedAt, seq: ++seq };
      events.push(stored);
      byKey.set(k, stored);
      trim();
      return { event: cloneRecord(stored), inserted: true };
    },
    async query(q: EventQuery): Promise<StoredEvent[]> {
      const match = compileFilter(q);
      const out: StoredEvent[] = [];
      const start = max < events.length ? events.length - max : 0;
      if (q.order === 'asc') {
        for (let i = start; i < events.length && out.length < q.limit; i++) {
          const e = events[i]!;
          if (q.after !== undefined && e.seq <= q.after) continue;
          if (q.before !== undefined && e.seq >= q.before) break;
          if (match(e)) out.push(e);
        }
      } else {
        for (let i = events.length - 1; i >= start && out.length < q.limit; i--) {
          const e = events[i]!;
          if (q.before !== undefined && e.seq >= q.before) continue;
          if (q.after !== undefined && e.seq <= q.after) break;
          if (match(e)) out.push(e);
        }
      }
      return cloneRecord(out);
    },
    async stats(now: number): Promise<EventStats> {
      const stats: EventStats = { total: 0, last_24h: 0, by_severity: { info: 0, warning: 0, error: 0, critical: 0 } };
      const start = max < events.length ? events.length - max : 0;
      for (let i = start; i < events.length; i++) {
        const e = events[i]!;
        stats.total++;
        stats.by_severity[e.severity]++;
        if (Date.parse(e.time) >= now - DAY_MS) stats.last_24h++;
      }
      return stats;
    },
    async purge(request: PurgeRequest): Promise<number> {
      const checked = checkPurgeRequest(request);
      const start = max < events.length ? events.length - max : 0;
      const times = events.slice(start, start + checked.limit).map((e) => Date.parse(e.received_at));
      const n = purgeCount(times, events.length - start, checked);
      if (n === 0) return 0;
      for (const e of events.slice(0, start + n)) byKey.delete(key(e.source, e.id));
      events = events.slice(start + n);
      return n;
    },
    countBuckets: async (q) => countMemoryBuckets(events, max < events.length ? events.length - max : 0, q),
  };
}
