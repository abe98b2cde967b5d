import { systemClock, type Clock } from '../clock.js';
import { isoTime } from '../iso-time.js';
import type { Logger } from '../logger.js';
import type { AuditQuery, AuditStore, StoredAuditRecord } from '../stores/types.js';
import { auditStatsFrom } from '../stores/shared.js';
import { redactDeep } from './sinks.js';
import { auditStoreSink } from './store-sink.js';

/** One request, as the audit trail keeps it (DESIGN §3). `path` is the route template, never the raw URL. */
export interface AuditRecord {
  ts: string;
  service: string;
  method: string;
  path: string;
  roles: readonly string[];
  status: number;
  client_ip: string;
  duration_ms: number;
  /** Subject of the principal, when its credential named one. */
  principal?: string;
  /** The request's W3C trace id, when it was traced. */
  trace_id?: string;
  /** Anything else an integration attaches; secret-looking fields are redacted by the log sinks. */
  meta?: Record<string, unknown>;
}

/** Somewhere audit records go. `write` must not throw and should not block. */
export interface AuditSink {
  write(record: AuditRecord): void;
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

export interface AuditStats {
  total_requests: number;
  denied_401_unauthorized: number;
  denied_403_forbidden: number;
  by_path: Record<string, number>;
  by_status: Record<string, number>;
}

export type AuditEntry = Omit<AuditRecord, 'ts' | 'service'>;

export interface AuditLog {
  readonly service: string;
  /** Stamps `ts` and `service`, counts it, and hands it to every sink. */
  record(entry: AuditEntry): AuditRecord;
  /** Counts since start, or, with a store, everything the store holds (all instances, across restarts). */
  stats(): Promise<AuditStats>;
  /** The trail, newest first, once what was recorded has reached the store; only with a store. */
  query?(query: AuditQuery): Promise<StoredAuditRecord[]>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditLogOptions {
  /** The service name written into every record. */
  service: string;
  sinks?: AuditSink[];
  /** Keep a queryable trail whose counts survive restarts; records reach it in batches. */
  store?: AuditStore;
  clock?: Clock;
  /** Where a store that cannot keep up is reported. */
  logger?: Logger;
}

/**
 * The audit trail: one record per request, counted for `/audit/stats`, written to each sink.
 * @example const audit = createAuditLog({ service: 'billing', sinks: [pinoAuditSink({ destination: 1 })] })
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const clock = options.clock ?? systemClock;
  const storeSink = options.store ? auditStoreSink(options.store, { clock, ...(options.logger ? { logger: options.logger } : {}) }) : undefined;
  const sinks = [...(options.sinks ?? []), ...(storeSink ? [storeSink] : [])];
  const byPath = new Map<string, number>();
  const byStatus = new Map<number, number>();

  return {
    service: options.service,
    record(entry) {
      const record: AuditRecord = {
        ts: isoTime(clock.now()),
        service: options.service,
        method: entry.method,
        path: entry.path,
        roles: entry.roles,
        status: entry.status,
        client_ip: entry.client_ip,
        duration_ms: entry.duration_ms,
      };
      if (entry.principal !== undefined) record.principal = entry.principal;
      if (entry.trace_id !== undefined) record.trace_id = entry.trace_id;
      // Redacted once here, so no sink or store ever holds a secret.
      if (entry.meta !== undefined) record.meta = redactDeep(entry.meta) as Record<string, unknown>;
      byPath.set(entry.path, (byPath.get(entry.path) ?? 0) + 1);
      byStatus.set(entry.status, (byStatus.get(entry.status) ?? 0) + 1);
      for (const sink of sinks) sink.write(record);
      return record;
    },
    async stats() {
      if (options.store && storeSink) {
        await storeSink.flush?.();
        return options.store.stats();
      }
      return auditStatsFrom(byPath, byStatus);
    },
    ...(options.store && storeSink
      ? {
          async query(query: AuditQuery) {
            await storeSink.flush?.();
            return options.store!.query(query);
          },
        }
      : {}),
    async flush() {
      await Promise.all(sinks.map((s) => s.flush?.()));
    },
    async close() {
      await Promise.all(sinks.map((s) => s.close?.()));
    },
  };
}
