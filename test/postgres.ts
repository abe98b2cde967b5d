import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import type { TestPostgres } from './global-setup.js';

// Test-only helpers (not exported by the package): the run's PostgreSQL server from the global setup, and a
// fresh schema per test so tests never see each other's rows.

/**
 * The connection string of the server the global setup started; fails the calling test with the reason when
 * there is none.
 * @example const url = testDatabaseUrl()
 */
export function testDatabaseUrl(): string {
  const provided: TestPostgres = inject('postgres');
  if ('error' in provided) throw new Error(`no PostgreSQL for the tests: ${provided.error}`);
  return provided.connectionString;
}

let admin: pg.Pool | undefined;
const adminPool = () => {
  if (!admin) {
    admin = new pg.Pool({ connectionString: testDatabaseUrl(), max: 3 });
    admin.on('error', () => undefined);
    const pool = admin;
    afterAll(async () => {
      admin = undefined;
      await pool.end();
    });
  }
  return admin;
};

/**
 * A unique schema name (the stores create it on open).
 * @example const schema = uniqueSchema('events')
 */
export const uniqueSchema = (label = 't') => `${label}_${randomBytes(5).toString('hex')}`;

/**
 * Drops a schema and everything in it.
 * @example await dropSchema(schema)
 */
export async function dropSchema(schema: string): Promise<void> {
  await adminPool().query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/**
 * Runs a query on the test server from a connection of its own (not the stores' pool).
 * @example await sql('SELECT pg_terminate_backend($1)', [pid])
 */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  return (await adminPool().query<R>(text, values)).rows;
}

/**
 * Rejects if `promise` takes longer than `ms`.
 * @example await within(stores.events.listening(), 5000, 'LISTEN')
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
