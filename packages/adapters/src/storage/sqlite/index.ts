import type { Clock, Stores } from '@aetherlink/core';
import { sqliteAuditStore } from './audit.js';
import { openDatabase, translateError, type OpenOptions, type SqliteDatabase } from './database.js';
import { sqliteDeliveryStore } from './deliveries.js';
import { sqliteEventStore, type SqliteEventStore } from './events.js';
import { sqliteHealHistoryStore } from './heal.js';
import { sqliteRegistryStore } from './registry.js';
import { sqliteDocumentStore } from './documents.js';

export interface SqliteStoresOptions extends OpenOptions {
  /** Stamps documents' `created_at`/`updated_at`. Default: the system clock. */
  clock?: Clock;
}

export interface SqliteStores extends Stores {
  readonly kind: 'sqlite';
  events: SqliteEventStore;
  /** The better-sqlite3 connection, for inspection and backups. */
  readonly db: SqliteDatabase;
}

/**
 * Every AetherLink store in one SQLite file (WAL, versioned migrations at open): the persistent embedded
 * default for a single instance. Throws a clear `config_invalid` AetherError when the file is unusable.
 * @example const stores = sqliteStores({ path: './data/aetherlink.db' })
 */
export function sqliteStores(options: SqliteStoresOptions): SqliteStores {
  const db = openDatabase(options);
  const events = sqliteEventStore(db);
  return {
    kind: 'sqlite',
    db,
    events,
    audit: sqliteAuditStore(db),
    registry: sqliteRegistryStore(db),
    documents: sqliteDocumentStore(db, options.clock ? { clock: options.clock } : {}),
    deliveries: sqliteDeliveryStore(db),
    heal: sqliteHealHistoryStore(db),
    async ping() {
      try {
        db.prepare('SELECT 1').get();
      } catch (error) {
        throw translateError(error);
      }
    },
    async close() {
      events.flush();
      if (db.open) db.close();
    },
  };
}

export { openDatabase, describeOpenError, translateError } from './database.js';
export type { OpenOptions, SqliteDatabase } from './database.js';
export { sqliteEventStore } from './events.js';
export type { SqliteEventStore } from './events.js';
export { sqliteAuditStore } from './audit.js';
export { sqliteRegistryStore } from './registry.js';
export { sqliteDocumentStore } from './documents.js';
export { sqliteDeliveryStore } from './deliveries.js';
export { sqliteHealHistoryStore } from './heal.js';
export { MIGRATIONS } from './migrations.js';
