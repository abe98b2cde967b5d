import { systemClock, type Clock } from '../clock.js';
import { errorFields, loggerFor, type Logger } from '../logger.js';
import type { AuditStore } from '../stores/types.js';
import type { AuditRecord, AuditSink } from './audit-log.js';

export interface AuditStoreSinkOptions {
  clock?: Clock;
  /** Longest a record waits before it is written, ms. Default 250. */
  flushIntervalMs?: number;
  /** Write as soon as this many records wait. Default 500. */
  batchSize?: number;
  /** Records kept while the store is away; beyond it the oldest are dropped and counted. Default 50 000. */
  maxBuffered?: number;
  logger?: Logger;
  onError?: (error: unknown) => void;
}

/**
 * Writes audit records to an AuditStore in batches, off the request path; keeps them (bounded) and retries
 * while the store is unreachable.
 * @example createAuditLog({ service: 'x', sinks: [auditStoreSink(sqlite.audit)] })
 */
export function auditStoreSink(store: AuditStore, options: AuditStoreSinkOptions = {}): AuditSink & { dropped(): number } {
  const clock = options.clock ?? systemClock;
  const interval = options.flushIntervalMs ?? 250;
  const batchSize = options.batchSize ?? 500;
  const maxBuffered = options.maxBuffered ?? 50_000;
  const log = loggerFor(options.logger, 'audit');
  const onError = options.onError ?? ((error: unknown) => log.warn({ err: errorFields(error) }, 'audit records could not be stored yet; they are kept and retried'));
  let pending: AuditRecord[] = [];
  let dropped = 0;
  let timer: unknown;
  let writing: Promise<void> | undefined;
  let failing = false;
  let closed = false;

  const schedule = () => {
    if (timer === undefined && !closed) timer = clock.setTimeout(() => void flush(), interval);
  };
  const trim = () => {
    if (pending.length > maxBuffered) {
      dropped += pending.length - maxBuffered;
      pending = pending.slice(-maxBuffered);
    }
  };
  const flush = async (): Promise<void> => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    while (writing) await writing;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    writing = store.append(batch).then(
      () => {
        failing = false;
      },
      (error: unknown) => {
        // Put the batch back in front, keep the newest within bounds, and try again later.
        pending = batch.concat(pending);
        trim();
        if (!failing) onError(error);
        failing = true;
        schedule();
      },
    );
    await writing;
    writing = undefined;
  };

  return {
    write(record) {
      if (closed) return;
      pending.push(record);
      if (pending.length > maxBuffered) trim();
      if (pending.length >= batchSize && !writing) void flush();
      else schedule();
    },
    flush,
    async close() {
      // One last try; a store that is gone by now keeps what it could not take (counted in dropped()).
      await flush();
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      dropped += pending.length;
      pending = [];
    },
    dropped: () => dropped,
  };
}
