import type { TestProject } from 'vitest/node';
import { BUSYBOX_IMAGE, importBusybox, startDockerEngine, sweepStaleEngines } from './docker-server.js';
import { startPostgres, sweepStaleServers } from './postgres-server.js';

// One PostgreSQL server and one Docker engine for the whole test run. Tests get PostgreSQL's address with
// `inject('postgres')` and isolate themselves with a schema of their own; they get the engine's socket and the
// busybox image with `inject('docker')` and name their containers uniquely. AETHERLINK_TEST_DATABASE_URL points
// the run at an existing PostgreSQL, AETHERLINK_TEST_DOCKER_SOCKET at an existing engine (the image is imported
// into it).

/** Where the run's PostgreSQL listens, or why there is none (only the tests that need it fail then). */
export type TestPostgres =
  | { connectionString: string; host: string; port: number; database: string; user: string }
  | { error: string };

/** The run's Docker engine and the image its tests run, or why there is none (the Docker tests fail then). */
export type TestDocker = { socketPath: string; image: string; startMs: number; importMs: number } | { error: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: TestPostgres;
    docker: TestDocker;
  }
}

async function postgres(project: TestProject): Promise<(() => Promise<void>) | undefined> {
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

async function docker(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  let stop: (() => Promise<void>) | undefined;
  try {
    const t0 = performance.now();
    let socketPath = process.env.AETHERLINK_TEST_DOCKER_SOCKET;
    if (!socketPath) {
      await sweepStaleEngines();
      const engine = await startDockerEngine({ label: 'run' });
      socketPath = engine.socketPath;
      stop = () => engine.destroy();
    }
    const t1 = performance.now();
    const image = await importBusybox(socketPath, BUSYBOX_IMAGE);
    const t2 = performance.now();
    project.provide('docker', { socketPath, image, startMs: Math.round(t1 - t0), importMs: Math.round(t2 - t1) });
    return stop;
  } catch (error) {
    await stop?.();
    project.provide('docker', { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

/**
 * Vitest global setup: starts PostgreSQL and a Docker engine once (side by side), provides them as `postgres`
 * and `docker`, stops both at the end.
 * @example test: { globalSetup: ['./test/global-setup.ts'] }
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops = await Promise.all([postgres(project), docker(project)]);
  return async () => {
    await Promise.all(stops.map((stop) => stop?.()));
  };
}
