import { AetherError, instanceId as newInstanceId, loggerFor, systemClock, type Clock, type Logger } from '@aetherlink/core';
import type pg from 'pg';
import { loadPeer } from '../../_internal/peer.js';
import type { ClientConfig, Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { describeTarget, isConnectionFailure, isRetryable, toOpenError, toStoreError, type Target } from './errors.js';
import { migrate } from './migrations.js';
import { applicationName, checkSchema, qualify } from './names.js';

/** How to reach PostgreSQL; shared by the stores and the leader election. */
export interface PostgresConnectionOptions {
  /** `postgres://user:password@host:5432/db`. One of `connectionString` or `pool` is required. */
  connectionString?: string;
  /** An existing pool; it is not ended on close, and `poolSize`/`statementTimeoutMs`/`connectTimeoutMs` do not apply. */
  pool?: Pool;
  /** Schema holding every table; advisory locks and the NOTIFY channel are namespaced by it. Default `public`. */
  schema?: string;
  /** This process among its peers (NOTIFY payloads, lease owners, session names). Default: core's `instanceId()`. */
  instanceId?: string;
  /** Most connections the pool opens. Default 10. */
  poolSize?: number;
  /** Server-side limit per statement (`statement_timeout`). Default 30 000. */
  statementTimeoutMs?: number;
  /** Longest wait for a connection (a new one, or a free one from the pool). Default 5 000. */
  connectTimeoutMs?: number;
  /** Timers for reconnects and polls, and documents' `created_at`/`updated_at`. Default: the system clock. */
  clock?: Clock;
  /** Where a listener that throws on a relayed event is reported. */
  logger?: Logger;
}

/** The shared connection every store of one `postgresStores()` uses. */
export interface Database {
  readonly pool: Pool;
  readonly schema: string;
  readonly instanceId: string;
  readonly target: Target;
  readonly clock: Clock;
  readonly logger: Logger;
  /** `"schema"."table"`. */
  t(table: string): string;
  /** Connection settings for a dedicated (non-pool) client, e.g. for LISTEN or an advisory lock. */
  clientConfig(applicationName: string): ClientConfig;
  /** Connects and migrates once; a failure is not remembered, so the next call tries again. */
  ready(): Promise<void>;
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  /** Runs `fn` in a transaction; deadlocks and serialization failures are retried a few times. */
  transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T>;
  readonly closed: boolean;
  close(): Promise<void>;
}

/** Reads host, port, database and user the way node-postgres will (connection string, PG* variables, defaults). */
export function targetOf(config: ClientConfig): Target {
  // node-postgres reads anything as a URL relative to a dummy base; a typo would then be echoed back as a
  // "database" name, password included. Only URLs and socket paths are accepted, and never repeated.
  if (config.connectionString !== undefined && !/^(?:postgres(?:ql)?:\/\/|socket:|\/)/i.test(config.connectionString)) {
    throw new AetherError('config_invalid', 'connectionString must be a postgres:// (or postgresql://) URL', {
      errors: [{ field: 'connectionString', message: 'must be a postgres:// (or postgresql://) URL' }],
    });
  }
  const { Client } = loadPeer<typeof pg>('pg');
  let client: pg.Client;
  try {
    client = new Client(config);
  } catch {
    // Never echo the string: it may hold the password.
    throw new AetherError('config_invalid', 'connectionString is not a valid PostgreSQL connection string', {
      errors: [{ field: 'connectionString', message: 'is not a valid PostgreSQL connection string' }],
    });
  }
  const password = typeof client.password === 'string' ? client.password : undefined;
  return {
    host: client.host ?? 'localhost',
    port: client.port,
    database: client.database ?? '',
    user: client.user ?? '',
    ...(password ? { password } : {}),
  };
}

/** The connection settings behind the options (for dedicated clients). */
export function connectionConfigOf(options: Pick<PostgresConnectionOptions, 'connectionString' | 'pool' | 'connectTimeoutMs'>): ClientConfig {
  if (options.pool) return { ...(options.pool.options as ClientConfig) };
  if (!options.connectionString) {
    throw new AetherError('config_invalid', 'connectionString or pool is required for the PostgreSQL stores', {
      errors: [{ field: 'connectionString', message: 'is required (or pass pool)' }],
    });
  }
  return { connectionString: options.connectionString, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, keepAlive: true };
}

/**
 * The shared pool, migrations and error mapping behind every store.
 * @example const db = openDatabase({ connectionString }); await db.ready()
 */
export function openDatabase(options: PostgresConnectionOptions): Database {
  const schema = checkSchema(options.schema ?? 'public');
  const config = connectionConfigOf(options);
  const target = targetOf(config);
  const owned = !options.pool;
  const instanceId = options.instanceId ?? newInstanceId();
  const pool: Pool =
    options.pool ??
    new (loadPeer<typeof pg>('pg').Pool)({
      ...config,
      max: options.poolSize ?? 10,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      // A process frozen inside a transaction must not hold counter rows locked for long.
      idle_in_transaction_session_timeout: 60_000,
      fallback_application_name: applicationName('aetherlink', instanceId),
    });
  // An idle client whose server went away is reported here; without a listener the process would crash. The pool
  // drops that client itself and opens a new one on the next query, which is how it recovers.
  if (owned) pool.on('error', () => undefined);

  let migrated: Promise<void> | undefined;
  let closed = false;
  const closedError = () => new AetherError('unavailable', `the PostgreSQL stores are closed (${describeTarget(target)})`);

  const db: Database = {
    pool,
    schema,
    instanceId,
    target,
    clock: options.clock ?? systemClock,
    logger: loggerFor(options.logger, 'postgres'),
    t: (table) => qualify(schema, table),
    clientConfig: (name) => ({ ...config, application_name: name, keepAlive: true }),
    ready() {
      if (closed) return Promise.reject(closedError());
      migrated ??= migrate(pool, schema).then(
        () => undefined,
        (error: unknown) => {
          migrated = undefined;
          throw toOpenError(error, target);
        },
      );
      return migrated;
    },
    async query<R extends QueryResultRow>(text: string, values?: unknown[]) {
      await db.ready();
      try {
        return await pool.query<R>(text, values);
      } catch (error) {
        throw toStoreError(error, target);
      }
    },
    async transaction(fn) {
      await db.ready();
      for (let attempt = 0; ; attempt++) {
        const client = await pool.connect().catch((error: unknown) => {
          throw toStoreError(error, target);
        });
        // A checked-out client has no pool listener; a lost connection would otherwise crash the process.
        let broken: unknown;
        const onError = (error: unknown) => (broken ??= error);
        client.on('error', onError);
        try {
          await client.query('BEGIN');
          const out = await fn(client);
          await client.query('COMMIT');
          return out;
        } catch (error) {
          if (isConnectionFailure(error)) broken ??= error;
          else await client.query('ROLLBACK').catch((e: unknown) => (broken ??= e));
          // Deadlocks and serialization failures roll back cleanly; the next loop runs the transaction again.
          if (broken !== undefined || attempt >= 3 || !isRetryable(error)) throw toStoreError(error, target);
        } finally {
          client.removeListener('error', onError);
          client.release(broken === undefined ? undefined : broken instanceof Error ? broken : true);
        }
      }
    },
    get closed() {
      return closed;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await pool.end();
    },
  };
  return db;
}
