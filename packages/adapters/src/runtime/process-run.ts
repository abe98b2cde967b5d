import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable } from 'node:stream';
import { sleep, type Clock } from '@aetherlink/core';

// One run of one supervised command: spawned as the leader of its own process group (no shell), its output kept
// as lines, stopped by signalling that group. Signals go to the group by its id, never to anything by name.

/** How a supervised command is started. */
export interface ProcessWorkload {
  command: string;
  args?: string[];
  /** Added to the supervisor's own environment (or the whole environment with `inheritEnv: false`). */
  env?: Record<string, string>;
  cwd?: string;
  /** Default true: the child sees the supervisor's environment plus `env`. */
  inheritEnv?: boolean;
}

/** A started child: its pid (= its process group), when it exited and how. */
export interface Run {
  readonly pid: number;
  /** Resolves with the exit code once the leader exited (128 + signal number when a signal ended it). */
  readonly exited: Promise<number>;
  /** Resolves once the child's output pipes closed too. */
  readonly closed: Promise<void>;
  readonly hasExited: () => boolean;
}

const GROUP_POLL_MS = 50;
const CLOSE_GRACE_MS = 1000;

/** Exit code as a shell reports it: the code, or 128 + the number of the signal that ended the process. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const number = signal ? constants.signals[signal] : undefined;
  return number === undefined ? 128 : 128 + number;
}

/** Splits a stream into lines, handing each complete line (and a last partial one at the end) to `line`. */
function readLines(stream: Readable, line: (text: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split(/\r?\n/);
    partial = parts.pop() ?? '';
    for (const p of parts) line(p);
  });
  stream.on('end', () => {
    if (partial) line(partial);
    partial = '';
  });
}

/**
 * Spawns the workload in a process group of its own; resolves once it runs, rejects with the spawn error.
 * @example const run = await spawnRun(spec, (line) => lines.push(line))
 */
export function spawnRun(spec: ProcessWorkload, onLine: (line: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args ?? [], {
        cwd: spec.cwd,
        env: spec.inheritEnv === false ? { ...spec.env } : { ...process.env, ...spec.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      reject(error);
      return;
    }
    let done = false;
    const exited = new Promise<number>((res) => child.once('exit', (code, signal) => ((done = true), res(exitCodeOf(code, signal)))));
    const closed = new Promise<void>((res) => child.once('close', () => res()));
    readLines(child.stdout!, onLine);
    readLines(child.stderr!, onLine);
    child.once('error', (error) => {
      if (child.pid === undefined) reject(error);
    });
    child.once('spawn', () => resolve({ pid: child.pid!, exited, closed, hasExited: () => done }));
  });
}

/** Sends `signal` to every process of the group; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a run the way systemd stops a unit: `signal` to the whole group, then SIGKILL to whatever of it is still
 * alive once `timeoutMs` passed. Resolves with the leader's exit code after its output was read.
 * @example const exitCode = await terminateRun(run, 'SIGTERM', 10_000, clock)
 */
export async function terminateRun(run: Run, signal: NodeJS.Signals, timeoutMs: number, clock: Clock): Promise<number> {
  const deadline = new AbortController();
  const timedOut = sleep(clock, timeoutMs, deadline.signal).then(
    () => 'timeout' as const,
    () => 'cancelled' as const,
  );
  if (!run.hasExited()) signalGroup(run.pid, signal);
  // After the leader exits, what it left behind in its group gets the rest of the time, then SIGKILL.
  const leaderAndGroup = (async () => {
    await run.exited;
    while (signalGroup(run.pid, 0) && !deadline.signal.aborted) await sleep(clock, GROUP_POLL_MS).catch(() => undefined);
  })();
  if ((await Promise.race([leaderAndGroup.then(() => 'gone' as const), timedOut])) === 'timeout') signalGroup(run.pid, 'SIGKILL');
  deadline.abort();
  const exitCode = await run.exited;
  await Promise.race([run.closed, sleep(clock, CLOSE_GRACE_MS)]);
  return exitCode;
}
