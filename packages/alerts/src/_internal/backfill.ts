import { MAX_FILTER_VALUES, type EventQuery, type EventStore, type StoredEvent } from '@aetherlink/core';
import type { AlertRule } from '../types.js';

/**
 * The store query that reads, oldest first, every stored event these rules may count at `now`: from the start of
 * their longest window, narrowed to their event types when they all name exact ones (and few enough).
 * @example const base = backfillQuery(rules, clock.now(), 1000)
 */
export function backfillQuery(rules: readonly AlertRule[], now: number, pageSize: number): EventQuery {
  const longest = Math.max(...rules.map((r) => r.window_seconds)) * 1000;
  const types = new Set<string>();
  let exactOnly = true;
  for (const r of rules) {
    if (r.event_type === null || r.event_type.endsWith('.*')) exactOnly = false;
    else types.add(r.event_type);
  }
  return {
    since: new Date(now - longest).toISOString(),
    limit: pageSize,
    order: 'asc',
    ...(exactOnly && types.size <= MAX_FILTER_VALUES ? { type: [...types] } : {}),
  };
}

/**
 * Reads a query's events page by page (ascending `seq`) and hands each to `each`; resolves with how many it read.
 * Stops early when `signal` aborts.
 * @example await readPages(store, backfillQuery(rules, now, 1000), (e) => windows.backfill(e))
 */
export async function readPages(store: EventStore, query: EventQuery, each: (event: StoredEvent) => void, signal?: AbortSignal): Promise<number> {
  let after: number | undefined;
  let read = 0;
  for (;;) {
    if (signal?.aborted) return read;
    const page = await store.query({ ...query, ...(after !== undefined ? { after } : {}) });
    for (const event of page) each(event);
    read += page.length;
    if (page.length < query.limit) return read;
    after = page[page.length - 1]!.seq;
  }
}
