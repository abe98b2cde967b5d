import { errorFields, type StoredEvent } from '@aetherlink/core';
import type pg from 'pg';
import { loadPeer } from '../../_internal/peer.js';
import type { Notification } from 'pg';
import type { Database } from './pool.js';
import { applicationName, ident } from './names.js';

// LISTEN side of the event fan-out. A dedicated connection (not one from the pool) LISTENs on the schema's
// channel; each notification names the appending instance and the new seqs; we skip our own, fetch the rest and
// hand them to the listeners in seq order. A lost connection is re-opened with backoff, and what was committed
// meanwhile is caught up by seq (bounded), so a blip loses nothing that fits in the catch-up window.

/** What travels in a NOTIFY payload: the appending instance and the seqs it committed (never event bodies). */
export interface EventNotice {
  i: string;
  s: number[];
}

/** NOTIFY payloads must stay under 8000 bytes; seqs are split across as many notices as needed. */
export function noticePayloads(instance: string, seqs: readonly number[], maxBytes = 7000): string[] {
  const out: string[] = [];
  let chunk: number[] = [];
  let size = Buffer.byteLength(JSON.stringify({ i: instance, s: [] }));
  const base = size;
  for (const seq of seqs) {
    const add = String(seq).length + 1;
    if (chunk.length > 0 && size + add > maxBytes) {
      out.push(JSON.stringify({ i: instance, s: chunk }));
      chunk = [];
      size = base;
    }
    chunk.push(seq);
    size += add;
  }
  if (chunk.length > 0) out.push(JSON.stringify({ i: instance, s: chunk }));
  return out;
}

export interface EventWatcherSource {
  channel: string;
  /** The events with these seqs. */
  fetch(seqs: number[]): Promise<StoredEvent[]>;
  /** Events other instances appended after `seq`, oldest first, at most `limit`. */
  since(seq: number, limit: number): Promise<StoredEvent[]>;
  /** The highest seq stored now (0 when empty). */
  latest(): Promise<number>;
}

export interface EventWatcher {
  add(listener: (event: StoredEvent) => void): () => void;
  /** Resolves once LISTEN is active (at once when nobody watches). */
  listening(): Promise<void>;
  close(): Promise<void>;
}

const CATCH_UP_LIMIT = 1000;
/** How far below the highest seen seq a catch-up starts (within what `recent` remembers). */
const CATCH_UP_OVERLAP = 500;
const RECENT_LIMIT = 10_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * Watches the schema's channel on a dedicated connection while anyone listens.
 * @example const watcher = createEventWatcher(db, source); const off = watcher.add((e) => bus.emit(e))
 */
export function createEventWatcher(db: Database, source: EventWatcherSource): EventWatcher {
  const listeners = new Set<(event: StoredEvent) => void>();
  const waiters: (() => void)[] = [];
  const recent = new Set<number>();
  let current: pg.Client | undefined;
  let isListening = false;
  let closed = false;
  let lastSeq: number | undefined;
  let retryMs = RETRY_MIN_MS;
  let timer: unknown;
  let chain: Promise<void> = Promise.resolve();

  const deliver = (events: StoredEvent[]) => {
    for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
      if (recent.has(event.seq)) continue;
      recent.add(event.seq);
      if (recent.size > RECENT_LIMIT) recent.delete(recent.values().next().value as number);
      lastSeq = Math.max(lastSeq ?? 0, event.seq);
      for (const listener of [...listeners]) {
        try {
          listener(event);
        } catch (error) {
          db.logger.error({ err: errorFields(error), event_type: event.type }, 'a listener of events from other instances threw; the others still got the event');
        }
      }
    }
  };

  // Notifications are handled one after another so listeners see each instance's events in order.
  const enqueue = (task: () => Promise<StoredEvent[]>) => {
    chain = chain.then(async () => {
      try {
        if (!closed) deliver(await task());
      } catch {
        // The database is unreachable; what this missed is caught up after the next reconnect.
      }
    });
  };

  const onNotification = (message: Notification) => {
    if (message.channel !== source.channel || !message.payload) return;
    let notice: EventNotice;
    try {
      notice = JSON.parse(message.payload) as EventNotice;
    } catch {
      return;
    }
    if (notice.i === db.instanceId || !Array.isArray(notice.s) || notice.s.length === 0) return;
    enqueue(() => source.fetch(notice.s));
  };

  const drop = (client: pg.Client) => {
    client.removeAllListeners('notification');
    client.on('error', () => undefined);
    client.end().catch(() => undefined);
  };

  const lost = (client: pg.Client) => {
    if (client !== current) return;
    current = undefined;
    isListening = false;
    drop(client);
    if (closed || listeners.size === 0) return;
    timer = db.clock.setTimeout(() => void connect(), retryMs);
    retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
  };

  const connect = async () => {
    if (closed || listeners.size === 0 || current) return;
    const client = new (loadPeer<typeof pg>('pg').Client)(db.clientConfig(applicationName('aetherlink-listen', db.instanceId)));
    current = client;
    client.on('error', () => lost(client));
    client.on('end', () => lost(client));
    client.on('notification', (message) => {
      if (client === current) onNotification(message);
    });
    try {
      await db.ready();
      await client.connect();
      await client.query(`LISTEN ${ident(source.channel)}`);
      if (client !== current) return;
      // LISTEN first, then read where we are: nothing committed in between slips through.
      if (lastSeq === undefined) lastSeq = await source.latest();
      else {
        // Seqs are handed out before commit, so a lower one can commit after a higher one was seen: catch up from
        // a little before the highest seen; `recent` drops what was already delivered.
        const from = Math.max(0, lastSeq - CATCH_UP_OVERLAP);
        enqueue(() => source.since(from, CATCH_UP_LIMIT));
      }
      if (client !== current) return;
      isListening = true;
      retryMs = RETRY_MIN_MS;
      for (const resolve of waiters.splice(0)) resolve();
    } catch {
      lost(client);
    }
  };

  const stop = () => {
    db.clock.clearTimeout(timer);
    const client = current;
    current = undefined;
    isListening = false;
    lastSeq = undefined;
    if (client) drop(client);
  };

  return {
    add(listener) {
      listeners.add(listener);
      if (!current && !closed) {
        db.clock.clearTimeout(timer);
        void connect();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stop();
      };
    },
    listening() {
      if (isListening || listeners.size === 0 || closed) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push(resolve));
    },
    async close() {
      closed = true;
      listeners.clear();
      stop();
      for (const resolve of waiters.splice(0)) resolve();
      await chain;
    },
  };
}
