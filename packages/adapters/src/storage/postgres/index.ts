// @aetherlink/adapters/postgres: every store on PostgreSQL, for several instances sharing state
// (LISTEN/NOTIFY fan-out, FOR UPDATE SKIP LOCKED queue, advisory-lock leader election). Needs `pg` installed.

export { postgresStores, openPostgresStores } from './stores.js';
export { postgresLeaderElection } from './leader.js';
export { migrate, MIGRATIONS } from './migrations.js';

export type { PostgresStores, PostgresStoresOptions, OpenPostgresStoresOptions } from './stores.js';
export type { PostgresConnectionOptions } from './pool.js';
export type { PostgresLeaderElectionOptions } from './leader.js';
export type { PostgresEventStore, EventBatchInfo } from './events.js';
export type { Migration } from './migrations.js';
