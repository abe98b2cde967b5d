import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, startListeningProcess, type ListeningProcess } from '@aetherlink/core/testing';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Starting from source compiles the server with tsx first: about 3 s on an idle machine, over 20 s on a busy two-core
// one running two test suites at once. How fast it starts is not what these tests check; `pnpm bench` measures speed.
const START_LIMIT_MS = 60_000;

/**
 * A path for a fresh SQLite file in its own temp directory.
 * @example const db = tempDbPath() // /tmp/aetherlink-cc-XXXX/aetherlink.db
 */
export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'aetherlink-cc-')), 'aetherlink.db');
}

/** The reference server as its own process: `stop()` is SIGTERM then SIGKILL after 5 s, `crash()` SIGKILL at once. */
export type RunningServer = ListeningProcess;

/**
 * Starts the reference server as its own process on a free port (PORT=0), bounded in time.
 * @example const s = await startServer({ AUDIT_LOG: 'off' }); await s.stop()
 */
export function startServer(env: Record<string, string> = {}, timeoutMs = START_LIMIT_MS): Promise<RunningServer> {
  return startListeningProcess({
    name: 'the server',
    args: ['--import', 'tsx', '--conditions=@aetherlink/source', 'src/main.ts'],
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', AUDIT_LOG: 'off', AETHERLINK_DB: tempDbPath(), ...env },
    timeoutMs,
  });
}

/**
 * Runs the server with this environment expecting it to refuse to start; returns its exit code and output.
 * @example const { code, output } = await runUntilExit({ PORT: 'abc' })
 */
export function runUntilExit(env: Record<string, string>, timeoutMs = START_LIMIT_MS, args: string[] = []): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=@aetherlink/source', 'src/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', AUDIT_LOG: 'off', HOST: '127.0.0.1', AETHERLINK_DB: tempDbPath(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/**
 * Publishes `burst.event`s from 32 concurrent clients until more than `minAcked` are answered 200, then kills the
 * server with SIGKILL in the middle of the burst. Resolves with every id that was answered 200.
 * @example const acked = await publishBurstThenCrash(server); // then check each id survived the restart
 */
export async function publishBurstThenCrash(server: RunningServer, minAcked = 300, timeoutMs = 20_000): Promise<string[]> {
  const headers = { 'x-user-roles': 'agent', 'content-type': 'application/json' };
  const acked: string[] = [];
  let stop = false;
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const id = `w${w}-${i}`;
      try {
        const res = await fetch(`${server.url}/events/publish`, { method: 'POST', headers, body: JSON.stringify({ type: 'burst.event', source: 'burst', id, data: { w, i } }) });
        if (res.status === 200) acked.push(id);
      } catch {
        return; // the server is gone
      }
    }
  };
  const workers = Array.from({ length: 32 }, (_, w) => worker(w));
  try {
    await eventually(() => acked.length > minAcked, `more than ${minAcked} acknowledged publishes`, timeoutMs);
    await server.crash();
  } finally {
    stop = true;
    await Promise.all(workers);
  }
  return acked;
}
