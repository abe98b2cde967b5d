import { systemClock, sleep, type Clock } from '../clock.js';
import { AetherError } from '../errors.js';
import type { RestartOptions, RuntimeAdapter, RuntimeEvent, RuntimeInfo } from '../runtime/runtime-adapter.js';
import type { ContractWorkload } from './runtime-contract.js';

/** One call the recording runtime received, in order. */
export type RuntimeCall =
  | { method: 'inspect'; id: string; at: number }
  | { method: 'restart'; id: string; options: Omit<RestartOptions, 'abort'> & { aborted: boolean }; at: number };

/** A fake RuntimeAdapter for tests: it records every call and lets the test set what the runtime says. */
export interface RecordingRuntime extends RuntimeAdapter {
  readonly calls: RuntimeCall[];
  /** The restarts asked for, in order (ids). */
  restarts(): string[];
  /** Adds a workload or changes what inspect says about it (unset fields keep their values). */
  set(id: string, info?: Partial<Omit<RuntimeInfo, 'id'>>): void;
  /** Removes a workload: inspect says `missing`. */
  remove(id: string): void;
  /** How a workload behaves when stopped (default `graceful`); `crashing` also exits 1 shortly after each start. */
  behave(id: string, workload: ContractWorkload): void;
  /** The next `times` restarts of `id` fail with `error` (default: an `upstream_failed` AetherError). */
  failRestart(id: string, error?: Error, times?: number): void;
  /** A person stops the workload: it exits and is reported as stoppedByOperator. */
  stop(id: string): void;
  /** The workload crashes with `exitCode`. */
  crash(id: string, exitCode?: number): void;
  /** Sends an event to the watchers as the runtime would (applied to the state too: die → exited, start → running). */
  emit(event: Omit<RuntimeEvent, 'at'> & { at?: string }): void;
  /** While down, every call rejects with `unavailable`. */
  setUnavailable(down: boolean): void;
  /** The lines the workload "wrote" (started, got SIGTERM …), as the contract's workloads do. */
  output(id: string): string[];
  close(): Promise<void>;
}

export interface RecordingRuntimeOptions {
  /** Workloads present from the start, all running unless their info says otherwise. */
  workloads?: Record<string, Partial<Omit<RuntimeInfo, 'id'>>>;
  clock?: Clock;
  /** false: the fake has no `watch`, like a runtime without an event stream. */
  watch?: boolean;
  kind?: string;
}

interface Workload {
  info: RuntimeInfo;
  behaviour: ContractWorkload;
  lines: string[];
  failures: Error[];
  restarting: boolean;
  crashTimer?: unknown;
}

/**
 * A recording fake of the RuntimeAdapter contract (it passes `describeRuntimeAdapterContract`), for engines that
 * act through a runtime: set states, fail restarts, emit watch events, then read `calls`.
 * @example const runtime = recordingRuntime({ workloads: { billing: { state: 'running' } } }); runtime.failRestart('billing')
 */
export function recordingRuntime(options: RecordingRuntimeOptions = {}): RecordingRuntime {
  const clock = options.clock ?? systemClock;
  const workloads = new Map<string, Workload>();
  const listeners = new Set<(event: RuntimeEvent) => void>();
  const calls: RuntimeCall[] = [];
  let down = false;
  let lastStart = 0;

  const iso = () => new Date(clock.now()).toISOString();
  // Two starts within one millisecond would share a startedAt; a runtime never reports that.
  const startTime = () => new Date((lastStart = Math.max(clock.now(), lastStart + 1))).toISOString();
  const ensureUp = () => {
    if (down) throw new AetherError('unavailable', 'the recording runtime is down (setUnavailable(true))');
  };
  const get = (id: string) => {
    const w = workloads.get(id);
    if (!w) throw new AetherError('not_found', `no workload "${id}" in the recording runtime`, { details: { id } });
    return w;
  };
  const send = (event: Omit<RuntimeEvent, 'at'> & { at?: string }) => {
    const full: RuntimeEvent = { ...event, at: event.at ?? iso() };
    for (const listener of [...listeners]) listener(full);
  };
  const exited = (w: Workload, exitCode: number, byOperator: boolean) => {
    clock.clearTimeout(w.crashTimer);
    w.info = { ...w.info, state: 'exited', exitCode, stoppedByOperator: byOperator };
    send({ id: w.info.id, action: 'die', exitCode, byOperator });
  };
  const started = (w: Workload) => {
    w.info = { ...w.info, state: 'running', startedAt: startTime(), exitCode: null, stoppedByOperator: false };
    w.lines.push('started');
    send({ id: w.info.id, action: 'start', byOperator: false });
    if (w.behaviour === 'crashing') armCrash(w);
  };
  const armCrash = (w: Workload) => {
    clock.clearTimeout(w.crashTimer);
    w.crashTimer = clock.setTimeout(() => {
      w.lines.push('crashing');
      exited(w, 1, false);
    }, 300);
  };
  const abortable = <T>(promise: Promise<T>, abort?: AbortSignal): Promise<T> => {
    if (!abort) return promise;
    if (abort.aborted) return Promise.reject(abort.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(abort.reason);
      abort.addEventListener('abort', onAbort, { once: true });
      promise.then(resolve, reject).finally(() => abort.removeEventListener('abort', onAbort));
    });
  };

  const set: RecordingRuntime['set'] = (id, info = {}) => {
    const current = workloads.get(id);
    if (current) {
      current.info = { ...current.info, ...info, id };
      return;
    }
    const state = info.state ?? 'running';
    workloads.set(id, {
      info: { startedAt: state === 'running' ? startTime() : null, exitCode: null, stoppedByOperator: false, restartCount: 0, ...info, state, id },
      behaviour: 'graceful',
      lines: state === 'running' ? ['started'] : [],
      failures: [],
      restarting: false,
    });
  };
  for (const [id, info] of Object.entries(options.workloads ?? {})) set(id, info);

  async function doRestart(w: Workload, stopTimeoutMs: number): Promise<void> {
    w.restarting = true;
    try {
      const failure = w.failures.shift();
      if (failure) throw failure;
      if (w.info.state === 'running') {
        send({ id: w.info.id, action: 'kill', byOperator: false });
        w.lines.push('got SIGTERM');
        if (w.behaviour === 'stubborn') {
          w.lines.push('still running after SIGTERM');
          await sleep(clock, stopTimeoutMs);
          exited(w, 137, false);
        } else {
          w.lines.push('clean exit');
          exited(w, 0, false);
        }
        send({ id: w.info.id, action: 'stop', byOperator: false });
      }
      w.info.restartCount = (w.info.restartCount ?? 0) + 1;
      started(w);
      send({ id: w.info.id, action: 'restart', byOperator: false });
    } finally {
      w.restarting = false;
    }
  }

  const runtime: RecordingRuntime = {
    kind: options.kind ?? 'recording',
    calls,
    restarts: () => calls.filter((c) => c.method === 'restart').map((c) => c.id),
    async inspect(id, opts) {
      calls.push({ method: 'inspect', id, at: clock.now() });
      if (opts?.abort?.aborted) throw opts.abort.reason;
      ensureUp();
      const w = workloads.get(id);
      if (!w) return { id, state: 'missing', startedAt: null, exitCode: null, stoppedByOperator: false, restartCount: null };
      return { ...w.info, state: w.restarting ? 'restarting' : w.info.state };
    },
    async restart(id, opts) {
      calls.push({ method: 'restart', id, options: { stopTimeoutMs: opts.stopTimeoutMs, ...(opts.signal ? { signal: opts.signal } : {}), aborted: opts.abort?.aborted ?? false }, at: clock.now() });
      if (opts.abort?.aborted) throw opts.abort.reason;
      ensureUp();
      const w = get(id);
      const state = w.restarting ? 'restarting' : w.info.state;
      if (state === 'restarting' || state === 'paused') {
        throw new AetherError('conflict', `workload "${id}" is ${state}: not restarting it now`, { details: { id, state } });
      }
      return abortable(doRestart(w, opts.stopTimeoutMs), opts.abort);
    },
    set,
    remove: (id) => void workloads.delete(id),
    behave(id, workload) {
      const w = get(id);
      w.behaviour = workload;
      if (workload === 'crashing' && w.info.state === 'running') armCrash(w);
    },
    failRestart(id, error = new AetherError('upstream_failed', `restart of "${id}" failed (recording runtime)`), times = 1) {
      const w = get(id);
      for (let i = 0; i < times; i++) w.failures.push(error);
    },
    stop(id) {
      const w = get(id);
      send({ id, action: 'kill', byOperator: true });
      w.lines.push('got SIGTERM', 'clean exit');
      exited(w, 0, true);
      send({ id, action: 'stop', byOperator: true });
    },
    crash: (id, exitCode = 1) => exited(get(id), exitCode, false),
    emit(event) {
      const w = workloads.get(event.id);
      if (w && event.action === 'die') w.info = { ...w.info, state: 'exited', exitCode: event.exitCode ?? null, stoppedByOperator: event.byOperator ?? false };
      if (w && event.action === 'start') w.info = { ...w.info, state: 'running', startedAt: event.at ?? startTime(), exitCode: null, stoppedByOperator: false };
      if (w && event.action === 'pause') w.info = { ...w.info, state: 'paused' };
      if (w && event.action === 'unpause') w.info = { ...w.info, state: 'running' };
      if (event.action === 'destroy') workloads.delete(event.id);
      send(event);
    },
    setUnavailable(value) {
      down = value;
    },
    output: (id) => [...(workloads.get(id)?.lines ?? [])],
    async close() {
      for (const w of workloads.values()) clock.clearTimeout(w.crashTimer);
      listeners.clear();
    },
  };
  if (options.watch !== false) {
    runtime.watch = (listener) => {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    };
  }
  return runtime;
}
