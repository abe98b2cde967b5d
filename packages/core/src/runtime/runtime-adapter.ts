/**
 * What a runtime says about one workload (a container, a supervised process). `missing` when it does not exist;
 * `unknown` when the runtime could not tell (it is down or answered nonsense): a healer acts on neither.
 */
export type RuntimeState = 'running' | 'starting' | 'restarting' | 'paused' | 'stopped' | 'exited' | 'dead' | 'missing' | 'unknown';

export interface RuntimeInfo {
  id: string;
  state: RuntimeState;
  /** ISO time the workload last started; null when it never did. */
  startedAt: string | null;
  /** Exit code of the last run, when it ended. */
  exitCode: number | null;
  /** A person stopped it (`docker stop`, a supervisor's stop command): leave it stopped. */
  stoppedByOperator: boolean;
  /** Restarts the runtime itself counted, when it counts them. */
  restartCount: number | null;
}

/** Something the runtime reports as it happens (start, die, stop …), for watchers. */
export interface RuntimeEvent {
  id: string;
  action: 'start' | 'stop' | 'die' | 'kill' | 'restart' | 'pause' | 'unpause' | 'oom' | 'destroy';
  at: string;
  exitCode?: number | null;
  /** True when a person asked for it (not a crash, not our own restart). */
  byOperator?: boolean;
}

export interface RestartOptions {
  /** How long the workload gets to stop after SIGTERM before it is killed. */
  stopTimeoutMs: number;
  /** The signal that stops it first. Default SIGTERM. */
  signal?: NodeJS.Signals;
  /** Aborts waiting for the runtime (the restart itself may still happen). */
  abort?: AbortSignal;
}

/**
 * Where auto-heal acts: Docker (`@aetherlink/adapters/docker`), a process supervisor
 * (`@aetherlink/adapters/process`), or a recording fake in tests. Every implementation passes
 * `describeRuntimeAdapterContract` from `@aetherlink/core/testing`.
 */
export interface RuntimeAdapter {
  readonly kind: string;
  /** The workload's state now; `missing` when unknown to the runtime. Throws `unavailable` when the runtime is down. */
  inspect(id: string, options?: { abort?: AbortSignal }): Promise<RuntimeInfo>;
  /**
   * Stops (SIGTERM, then kill after `stopTimeoutMs`) and starts the workload; resolves once it was started again.
   * Throws `not_found` for an unknown workload, `conflict` (with `details.state`) when it is paused or already
   * restarting (a healer records that as skipped), `unavailable` when the runtime is down, and the abort reason.
   */
  restart(id: string, options: RestartOptions): Promise<void>;
  /** Optional: live runtime events. Returns the unsubscribe function. */
  watch?(listener: (event: RuntimeEvent) => void): () => void;
  close?(): Promise<void>;
}
