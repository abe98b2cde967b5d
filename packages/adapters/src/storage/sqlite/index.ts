import type { Clock, Stores } from '@aetherlink/core';
import { sqliteAuditStore } from './audit.js';
import { openDatabase, translateError, type OpenOptions, type SqliteDatabase } from './database.js';
import { sqliteDeliveryStore } from './deliveries.js';
import { sqliteEventStore, type SqliteEventStore } from './events.js';
import { sqliteHealHistoryStore } from './heal.js';
import { sqliteRegistryStore } from './registry.js';
import { sqliteDeliveryRetention, sqliteHealRetention } from './retention.js';
import { sqliteDocumentStore } from './documents.js';
import { threadWriter, type SqliteWriter } from './writer.js';
import { WRITE_METHODS, type WriterSetup, type WriteStore } from './writer-protocol.js';

export interface SqliteStoresOptions extends OpenOptions {
  /** Stamps documents' `created_at`/`updated_at`. Default: the system clock. */
  clock?: Clock;
  /**
   * `thread` (the default for a file): every write, event appends' group commit and its fsync included, runs on
   * the process's SQLite writer thread, so a slow disk never stalls this thread's event loop; reads stay here on
   * a connection of their own (WAL). `inline`: one connection on this thread (always so for `:memory:`).
   */
  writer?: 'thread' | 'inline';
  /** A module the writer thread runs with the write connection once open (register SQL functions, load extensions). */
  writerSetup?: WriterSetup;
}

export interface SqliteStores extends Stores {
  readonly kind: 'sqlite';
  events: SqliteEventStore;
  /** The better-sqlite3 connection of this thread (every read), for inspection and backups. */
  readonly db: SqliteDatabase;
  /** Runs a pragma on the write connection (in the writer thread, or `db` when inline). */
  writerPragma(source: string): Promise<unknown>;
  /**
   * Resolves once writes can be made: the writer thread has the file open (at once when inline). A server awaits
   * it before it listens, so its first requests do not wait for the thread to start.
   */
  ready(): Promise<void>;
}

// A collection definition may carry a zod schema, which cannot cross threads: the store needs its declaration only.
const crossable = (store: WriteStore, args: unknown[]) => {
  if (store !== 'documents' || typeof args[0] !== 'object' || args[0] === null) return args;
  const { name, indexes, unique } = args[0] as { name: string; indexes?: readonly string[]; unique?: readonly string[] };
  return [{ name, ...(indexes ? { indexes } : {}), ...(unique ? { unique } : {}) }, ...args.slice(1)];
};

function routed<T extends object>(store: T, name: WriteStore, writer: SqliteWriter): T {
  const out = { ...store } as Record<string, unknown>;
  for (const method of WRITE_METHODS[name]) if (method in store) out[method] = (...args: unknown[]) => writer.call(name, method, crossable(name, args));
  return out as T;
}

/**
 * Every AetherLink store in one SQLite file (WAL, versioned migrations at open): the persistent embedded
 * default for a single instance. Writes go to a writer thread (see `writer`), each acknowledged after its
 * commit; reads stay on the caller's thread. Throws a clear `config_invalid` AetherError when the file is unusable.
 * @example const stores = sqliteStores({ path: './data/aetherlink.db' })
 */
export function sqliteStores(options: SqliteStoresOptions): SqliteStores {
  const db = openDatabase(options);
  const threaded = options.path !== ':memory:' && options.writer !== 'inline';
  const clock = options.clock;
  const writer = threaded
    ? threadWriter(
        {
          op: 'open',
          path: db.name,
          ...(options.synchronous ? { synchronous: options.synchronous } : {}),
          ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
          ...(options.writerSetup ? { setup: options.writerSetup } : {}),
        },
        clock ? () => clock.now() : Date.now,
      )
    : undefined;
  const events = writer ? sqliteEventStore(db, writer.events) : sqliteEventStore(db);
  const local = {
    audit: sqliteAuditStore(db),
    registry: sqliteRegistryStore(db),
    documents: sqliteDocumentStore(db, clock ? { clock } : {}),
    deliveries: { ...sqliteDeliveryStore(db), ...sqliteDeliveryRetention(db) },
    heal: { ...sqliteHealHistoryStore(db), ...sqliteHealRetention(db) },
  };
  return {
    kind: 'sqlite',
    db,
    events,
    audit: writer ? routed(local.audit, 'audit', writer) : local.audit,
    registry: writer ? routed(local.registry, 'registry', writer) : local.registry,
    documents: writer ? routed(local.documents, 'documents', writer) : local.documents,
    deliveries: writer ? routed(local.deliveries, 'deliveries', writer) : local.deliveries,
    heal: writer ? routed(local.heal, 'heal', writer) : local.heal,
    async ping() {
      try {
        db.prepare('SELECT 1').get();
      } catch (error) {
        throw translateError(error);
      }
    },
    writerPragma: async (source) => (writer ? writer.pragma(source) : db.pragma(source)),
    ready: async () => writer?.opened(),
    async close() {
      await events.close();
      await writer?.close();
      if (db.open) db.close();
    },
  };
}

export { openDatabase, describeOpenError, translateError } from './database.js';
export type { OpenOptions, SqliteDatabase } from './database.js';
export { sqliteEventStore } from './events.js';
export type { SqliteEventStore, EventWriter } from './events.js';
export { eventWrites } from './event-writes.js';
export type { EventWrites, EventWire, EventOutcome } from './event-writes.js';
export type { WriterSetup } from './writer-protocol.js';
export { sqliteAuditStore } from './audit.js';
export { sqliteRegistryStore } from './registry.js';
export { sqliteDocumentStore } from './documents.js';
export { sqliteDeliveryStore } from './deliveries.js';
export { sqliteHealHistoryStore } from './heal.js';
export { sqliteDeliveryRetention, sqliteHealRetention } from './retention.js';
export { MIGRATIONS } from './migrations.js';
