// A runtime for engine tests until the shared fake of @aetherlink/core/testing lands: it records every call and
// answers `inspect` with whatever state a test set. Not part of the published package.
import type { RestartOptions, RuntimeAdapter, RuntimeInfo } from '@aetherlink/core';

export interface RecordingRuntime extends RuntimeAdapter {
  /** Every restart asked for, in order. */
  readonly restarts: { id: string; options: RestartOptions }[];
  /** Restarts running now, and the most at once so far. */
  inFlight(): number;
  peak(): number;
  /** What `inspect(id)` answers from now on (default: running). */
  set(id: string, info: Partial<RuntimeInfo>): void;
  /** The next restarts of `id` throw this. */
  failRestarts(id: string, error: Error | null): void;
  /** Restarts wait until `release()` (they resolve in order). */
  hold(on: boolean): void;
  release(): void;
  /** Called after each restart resolves (a test brings its service back there). */
  onRestart(listener: (id: string) => void): void;
}

/**
 * A recording runtime.
 * @example const runtime = recordingRuntime(); runtime.set('api', { stoppedByOperator: true, state: 'stopped' })
 */
export function recordingRuntime(kind = 'recording'): RecordingRuntime {
  const infos = new Map<string, Partial<RuntimeInfo>>();
  const failures = new Map<string, Error>();
  const restarts: { id: string; options: RestartOptions }[] = [];
  const listeners: ((id: string) => void)[] = [];
  let holding = false;
  let waiting: (() => void)[] = [];
  let running = 0;
  let peak = 0;
  return {
    kind,
    restarts,
    inFlight: () => running,
    peak: () => peak,
    set: (id, info) => infos.set(id, { ...infos.get(id), ...info }),
    failRestarts: (id, error) => (error ? failures.set(id, error) : failures.delete(id)),
    hold: (on) => (holding = on),
    release() {
      const w = waiting;
      waiting = [];
      for (const go of w) go();
    },
    onRestart: (listener) => listeners.push(listener),
    async inspect(id) {
      return { id, state: 'running', startedAt: null, exitCode: null, stoppedByOperator: false, restartCount: null, ...infos.get(id) };
    },
    async restart(id, options) {
      restarts.push({ id, options });
      running++;
      peak = Math.max(peak, running);
      try {
        if (holding) {
          await new Promise<void>((resolve, reject) => {
            waiting.push(resolve);
            options.abort?.addEventListener('abort', () => reject(options.abort!.reason as Error), { once: true });
          });
        }
        const failure = failures.get(id);
        if (failure) throw failure;
        infos.set(id, { ...infos.get(id), state: 'running', stoppedByOperator: false });
        for (const l of listeners) l(id);
      } finally {
        running--;
      }
    },
  };
}
