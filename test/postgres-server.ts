import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A throwaway PostgreSQL server for tests: its own data directory, socket directory and port, started and
// stopped by its own data directory (never by process name). PostgreSQL refuses to run as root, so when we are
// root the server runs as the `postgres` OS user.

const PREFIX = 'aetherlink-pg-';
const COMMAND_TIMEOUT_MS = 60_000;

/** A running (or stopped) test server. */
export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust auth: no password). */
  readonly connectionString: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Starts it again on the same port after `stop()`. */
  start(): Promise<void>;
  /** `pg_ctl stop -m fast`: sessions are terminated (57P01), the port closes. */
  stop(): Promise<void>;
  /** Stops it and removes its directories. */
  destroy(): Promise<void>;
}

/**
 * The newest PostgreSQL `bin` directory: `AETHERLINK_PG_BIN`, else `/usr/lib/postgresql/<version>/bin`.
 * @example const bin = await findPostgresBin() // '/usr/lib/postgresql/15/bin'
 */
export async function findPostgresBin(): Promise<string> {
  const fromEnv = process.env.AETHERLINK_PG_BIN;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, 'initdb'))) throw new Error(`AETHERLINK_PG_BIN=${fromEnv} has no initdb`);
    return fromEnv;
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? await readdir(root) : [];
  const candidates = versions
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  if (!candidates[0]) {
    throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run scripts/setup.sh, or set AETHERLINK_PG_BIN)');
  }
  return join(root, candidates[0], 'bin');
}

function run(file: string, args: string[], options: { asPostgres: boolean }): Promise<string> {
  const [cmd, argv] = options.asPostgres ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  return new Promise((resolve, reject) => {
    execFile(cmd, argv, { timeout: COMMAND_TIMEOUT_MS, env: { ...process.env, LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function postgresIds(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('we run as root, and there is no "postgres" OS user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * A free TCP port on 127.0.0.1 (bound to port 0, then released).
 * @example const port = await freePort()
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Stops and removes servers this helper started from processes that have since died (a killed test run never
 * reached its teardown). Each is stopped by its own data directory.
 * @example await sweepStaleServers()
 */
export async function sweepStaleServers(): Promise<number> {
  let swept = 0;
  const asPostgres = process.getuid?.() === 0;
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const base = join(tmpdir(), name);
    let owner: { pid?: number; bin?: string };
    try {
      owner = JSON.parse(await readFile(join(base, 'owner.json'), 'utf8'));
    } catch {
      continue;
    }
    if (typeof owner.pid !== 'number' || isAlive(owner.pid) || typeof owner.bin !== 'string') continue;
    const dataDir = join(base, 'data');
    if (existsSync(join(dataDir, 'postmaster.pid'))) {
      await run(join(owner.bin, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', '-t', '30', 'stop'], { asPostgres }).catch(() => undefined);
    }
    await rm(base, { recursive: true, force: true });
    swept++;
  }
  return swept;
}

/**
 * Initialises and starts a fresh PostgreSQL server on a free port of 127.0.0.1 (trust auth, user `postgres`).
 * @example const pg = await startPostgres(); try { ... } finally { await pg.destroy() }
 */
export async function startPostgres(options: { label?: string } = {}): Promise<PostgresServer> {
  const bin = await findPostgresBin();
  const asPostgres = process.getuid?.() === 0;
  const base = await mkdtemp(join(tmpdir(), `${PREFIX}${options.label ?? 'test'}-`));
  const dataDir = join(base, 'data');
  const sockDir = join(base, 'sock');
  const logFile = join(base, 'postgres.log');
  await mkdir(sockDir);
  await writeFile(join(base, 'owner.json'), JSON.stringify({ pid: process.pid, bin }));
  if (asPostgres) {
    const { uid, gid } = await postgresIds();
    for (const path of [base, sockDir]) await chown(path, uid, gid);
  }
  try {
    await run(join(bin, 'initdb'), ['-D', dataDir, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-locale', '--no-sync'], { asPostgres });
  } catch (error) {
    await rm(base, { recursive: true, force: true });
    throw error;
  }

  // Durability settings are off because the data is thrown away; behaviour seen by clients is unchanged.
  const pgCtlStart = (port: number) =>
    run(
      join(bin, 'pg_ctl'),
      [
        '-D', dataDir,
        '-o', `-c listen_addresses=127.0.0.1 -p ${port} -k ${sockDir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400`,
        '-l', logFile,
        '-w', '-t', '30',
        'start',
      ],
      { asPostgres },
    );
  const logTail = async () => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');

  let port = 0;
  let lastError: unknown;
  for (let tries = 0; tries < 4 && port === 0; tries++) {
    const candidate = await freePort();
    try {
      await pgCtlStart(candidate);
      port = candidate;
    } catch (error) {
      lastError = error;
    }
  }
  if (port === 0) {
    const tail = await logTail();
    await rm(base, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${String(lastError)}\n${tail}`);
  }

  let running = true;
  const server: PostgresServer = {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    database: 'postgres',
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dataDir,
    logFile,
    async start() {
      if (running) return;
      try {
        await pgCtlStart(port);
      } catch (error) {
        throw new Error(`PostgreSQL did not restart on port ${port}: ${String(error)}\n${await logTail()}`);
      }
      running = true;
    },
    async stop() {
      if (!running) return;
      await run(join(bin, 'pg_ctl'), ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'], { asPostgres });
      running = false;
    },
    async destroy() {
      try {
        await server.stop();
      } finally {
        await rm(base, { recursive: true, force: true });
      }
    },
  };
  return server;
}
