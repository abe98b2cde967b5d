import type { AuditStore, DeliveryStore, DocumentStore, HealHistoryStore, LeaderElection, RegistryStore, Stores } from '@aetherlink/core';
import type { Pool } from 'pg';
import { postgresAuditStore } from './audit.js';
import { postgresDeliveryStore } from './deliveries.js';
import { postgresDocumentStore } from './documents.js';
import { postgresEventStore, type EventBatchInfo, type PostgresEventStore } from './events.js';
import { postgresHealHistoryStore } from './heal.js';
import { postgresLeaderElection } from './leader.js';
import { openDatabase, type PostgresConnectionOptions } from './pool.js';
import { postgresRegistryStore } from './registry.js';
import { postgresDeliveryRetention, postgresHealRetention } from './retention.js';

/** Options of `postgresStores` and `openPostgresStores`. */
export interface PostgresStoresOptions extends PostgresConnectionOptions {
  /** Called after each group commit of event appends (for metrics). */
  onEventBatch?: (info: EventBatchInfo) => void;
}

/** Options of `openPostgresStores`. */
export interface OpenPostgresStoresOptions extends PostgresStoresOptions {
  /** Poll interval of the returned leader election (see `postgresLeaderElection`). Default 1000. */
  leaderPollMs?: number;
}

/** Every store on one PostgreSQL schema. */
export interface PostgresStores extends Stores {
  readonly kind: 'postgres';
  events: PostgresEventStore;
  audit: AuditStore;
  registry: RegistryStore;
  documents: DocumentStore;
  deliveries: DeliveryStore;
  heal: HealHistoryStore;
  readonly schema: string;
  readonly instanceId: string;
  /** The pool every store shares. */
  readonly pool: Pool;
  /** Connects and applies pending migrations (once; every store call waits for it). */
  ready(): Promise<void>;
}

/**
 * Every store on PostgreSQL, connecting lazily: the first call connects and migrates. Prefer
 * `openPostgresStores`, which does that up front and fails fast.
 * @example const stores = postgresStores({ connectionString: process.env.DATABASE_URL, schema: 'aetherlink' })
 */
export function postgresStores(options: PostgresStoresOptions): PostgresStores {
  const db = openDatabase(options);
  const events = postgresEventStore(db, options.onEventBatch ? { onBatch: options.onEventBatch } : {});
  let closing: Promise<void> | undefined;
  return {
    kind: 'postgres',
    events,
    audit: postgresAuditStore(db),
    registry: postgresRegistryStore(db),
    documents: postgresDocumentStore(db),
    deliveries: Object.assign(postgresDeliveryStore(db), postgresDeliveryRetention(db)),
    heal: Object.assign(postgresHealHistoryStore(db), postgresHealRetention(db)),
    schema: db.schema,
    instanceId: db.instanceId,
    pool: db.pool,
    ready: () => db.ready(),
    async ping() {
      await db.query('SELECT 1');
    },
    close() {
      // Appends already accepted are written before the pool goes away.
      closing ??= (async () => {
        await events.close();
        await db.close();
      })();
      return closing;
    },
  };
}

/**
 * Connects, applies migrations and returns every store plus a leader election on the same database and schema.
 * Fails fast with an `AetherError` naming host:port and the database (never the password): `unavailable`
 * when the server cannot be reached, `config_invalid` when the database does not exist or the login is refused.
 * @example const stores = await openPostgresStores({ connectionString: process.env.DATABASE_URL, instanceId: instanceId() })
 */
export async function openPostgresStores(
  options: OpenPostgresStoresOptions,
): Promise<PostgresStores & { leader: LeaderElection & { close(): Promise<void> } }> {
  const stores = postgresStores(options);
  try {
    await stores.ready();
  } catch (error) {
    await stores.close().catch(() => undefined);
    throw error;
  }
  const leader = postgresLeaderElection({
    ...(options.pool ? { pool: options.pool } : {}),
    ...(options.connectionString ? { connectionString: options.connectionString } : {}),
    schema: stores.schema,
    instanceId: stores.instanceId,
    ...(options.leaderPollMs !== undefined ? { pollMs: options.leaderPollMs } : {}),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const close = stores.close;
  return Object.assign(stores, {
    leader,
    async close() {
      await leader.close();
      await close();
    },
  });
}
