import { bucketIndex, checkBucketQuery } from '../../events/buckets.js';
import type { Severity, StoredEvent } from '../../events/envelope.js';
import { parseTime } from '../../events/limits.js';
import type { EventBucketCount, EventBucketQuery } from '../types.js';

// Event times as epoch ms, parsed once per stored event: a chart refreshed every few seconds would otherwise
// parse every kept event's time on every refresh.
const timeOf = new WeakMap<StoredEvent, number>();

/**
 * The memory store's bucket counts over the events it keeps (from index `start`): the same arithmetic as the
 * persistent stores' GROUP BY (`bucketIndex`), times read as `parseTime` reads them (no offset means UTC).
 * @example countMemoryBuckets(events, 0, { from, bucketMs: 60_000, count: 60 })
 */
export function countMemoryBuckets(events: readonly StoredEvent[], start: number, q: EventBucketQuery): EventBucketCount[] {
  checkBucketQuery(q);
  const counts = new Map<number, number>();
  const severities: Severity[] = ['info', 'warning', 'error', 'critical'];
  for (let i = start; i < events.length; i++) {
    const event = events[i]!;
    let ms = timeOf.get(event);
    if (ms === undefined) {
      ms = parseTime(event.time);
      timeOf.set(event, ms);
    }
    const bucket = bucketIndex(q, ms);
    if (bucket < 0) continue;
    const key = bucket * 4 + severities.indexOf(event.severity);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => ({ bucket: Math.floor(key / 4), severity: severities[key % 4]!, n }));
}
