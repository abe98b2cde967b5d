import { soleLeader, type LeaderElection, type Logger, type Stores } from '@aetherlink/core';
import { sqliteStores } from '@aetherlink/adapters/sqlite';
import type { Config } from './config.js';

export interface OpenedStores {
  stores: Stores;
  /** Who runs the once-per-fleet loops: this instance alone on SQLite, an elected one on PostgreSQL. */
  leader: LeaderElection;
  /** Where the data lives, for logs and /ops/instance (never a password). */
  where: string;
}

/**
 * PostgreSQL when DATABASE_URL is set (several instances share it), otherwise the SQLite file AETHERLINK_DB.
 * @example const { stores, leader } = await openStores(config, instance)
 */
export async function openStores(config: Config, instance: string, logger?: Logger): Promise<OpenedStores> {
  if (config.DATABASE_URL) {
    const { openPostgresStores } = await import('@aetherlink/adapters/postgres');
    const stores = await openPostgresStores({ connectionString: config.DATABASE_URL, schema: config.DATABASE_SCHEMA, instanceId: instance, ...(logger ? { logger } : {}) });
    const url = new URL(config.DATABASE_URL);
    const schema = config.DATABASE_SCHEMA === 'public' ? '' : ` schema ${config.DATABASE_SCHEMA}`;
    return { stores, leader: stores.leader, where: `postgres ${url.hostname}:${url.port || 5432}${url.pathname}${schema}` };
  }
  const stores = sqliteStores({ path: config.AETHERLINK_DB, synchronous: config.AETHERLINK_DB_SYNC === 'normal' ? 'NORMAL' : 'FULL' });
  // Writes go to a thread of their own: it has the file open before the server takes requests (or says why not).
  try {
    await stores.ready();
  } catch (error) {
    await stores.close().catch(() => undefined);
    throw error;
  }
  return { stores, leader: soleLeader(), where: `sqlite ${config.AETHERLINK_DB}` };
}
