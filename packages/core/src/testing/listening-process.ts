// A server started as its own process for a test: spawned, awaited until it prints where it listens, stopped by
// its own process id.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ListeningProcessOptions {
  /** What the errors call it, e.g. `the server`. */
  name: string;
  /** Arguments to `command`. */
  args: readonly string[];
  /** Default: this Node binary. */
  command?: string;
  cwd: string;
  /** The whole environment of the child (spread `process.env` in when it should inherit). */
  env: NodeJS.ProcessEnv;
  /** Matches the line that says it is up; its first group is the URL. Default: `listening on (http://…)`. */
  ready?: RegExp;
  /** How long it may take to start before it is killed (ms). */
  timeoutMs: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL (ms). Default 5 000. */
  stopGraceMs?: number;
}

export interface ListeningProcess {
  url: string;
  proc: ChildProcess;
  /** Everything it printed on stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after the grace; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
  /** SIGKILL at once, as a crash would; resolves when the process is gone. */
  crash(): Promise<void>;
}

const LISTENING = /listening on (http:\/\/[\d.:]+)/;

/**
 * Starts a server as its own process and resolves once it prints the URL it listens on; rejects (after killing
 * it) when it exits first or does not start in time, with what it printed.
 * @example const s = await startListeningProcess({ name: 'the server', args: ['server.js'], cwd, env: { ...process.env, PORT: '0' }, timeoutMs: 60_000 }); await s.stop()
 */
export async function startListeningProcess(options: ListeningProcessOptions): Promise<ListeningProcess> {
  const ready = options.ready ?? LISTENING;
  const proc = spawn(options.command ?? process.execPath, options.args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const gone = () => proc.exitCode !== null || proc.signalCode !== null;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${options.name} did not start within ${options.timeoutMs} ms:\n${out}`));
    }, options.timeoutMs);
    proc.stdout!.on('data', () => {
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    url,
    proc,
    output: () => out,
    async crash() {
      if (gone()) return;
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (gone()) return proc.exitCode;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), options.stopGraceMs ?? 5000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
