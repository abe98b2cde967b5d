import type { TestProject } from 'vitest/node';
import { startPostgres, sweepStaleServers } from './postgres-server.js';

// One PostgreSQL server for the whole test run; tests get its address with `inject('postgres')` and isolate
// themselves with a schema of their own. AETHERLINK_TEST_DATABASE_URL points the run at an existing server
// instead (a CI service container, say).

/** Where the run's PostgreSQL listens, or why there is none (only the tests that need it fail then). */
export type TestPostgres =
  | { connectionString: string; host: string; port: number; database: string; user: string }
  | { error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: TestPostgres;
  }
}

/**
 * Vitest global setup: starts PostgreSQL once, provides it as `postgres`, stops it at the end.
 * @example test: { globalSetup: ['./test/global-setup.ts'] }
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.AETHERLINK_TEST_DATABASE_URL;
  if (external) {
    const url = new URL(external);
    project.provide('postgres', {
      connectionString: external,
      host: url.hostname,
      port: Number(url.port || 5432),
      database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
      user: decodeURIComponent(url.username) || 'postgres',
    });
    return undefined;
  }
  try {
    await sweepStaleServers();
    const server = await startPostgres({ label: 'run' });
    project.provide('postgres', {
      connectionString: server.connectionString,
      host: server.host,
      port: server.port,
      database: server.database,
      user: server.user,
    });
    return () => server.destroy();
  } catch (error) {
    project.provide('postgres', { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
