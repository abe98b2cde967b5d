// @aetherlink/adapters/process: a supervisor of child processes that auto-heal can inspect and restart.

import { z } from 'zod';
import {
  AetherError,
  errorFields,
  fieldErrorsFromZod,
  loggerFor,
  systemClock,
  type Clock,
  type Logger,
  type RestartOptions,
  type RuntimeAdapter,
  type RuntimeEvent,
  type RuntimeInfo,
  type RuntimeState,
} from '@aetherlink/core';
import { spawnRun, terminateRun, type ProcessWorkload, type Run } from './process-run.js';
import { abortable, busy, unknownWorkload } from './shared.js';

export type { ProcessWorkload } from './process-run.js';

export interface ProcessRuntimeOptions {
  /** The commands to supervise, by name (the id auto-heal uses). Spawned without a shell. */
  workloads: Record<string, ProcessWorkload>;
  logger?: Logger;
  /** Lines of output (stdout and stderr together) kept per workload, over its runs. Default 200. */
  outputLines?: number;
  /** How long `stop()` and `close()` give a workload after SIGTERM before SIGKILL. Default 10 000 ms. */
  stopTimeoutMs?: number;
  clock?: Clock;
}

/** The supervisor: a RuntimeAdapter plus the commands a person uses (start, stop) and each workload's output. */
export interface ProcessRuntime extends RuntimeAdapter {
  /** Starts the named workload (or every one) unless it runs; resolves once spawned. */
  start(name?: string): Promise<void>;
  /** A person's stop: SIGTERM, SIGKILL after the timeout; reported as `stoppedByOperator` until started again. */
  stop(name: string, options?: { stopTimeoutMs?: number }): Promise<void>;
  /** The last output lines of a workload, oldest first. */
  output(name: string): string[];
  watch(listener: (event: RuntimeEvent) => void): () => void;
  /** Stops every workload (SIGTERM, then SIGKILL to its whole process group) and refuses further calls. */
  close(): Promise<void>;
}

const workloadSchema = z.strictObject({
  command: z.string().min(1, 'must name the program to run'),
  args: z.array(z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  inheritEnv: z.boolean().optional(),
});
const optionsSchema = z.object({
  workloads: z.record(z.string().min(1), workloadSchema),
  outputLines: z.number().int().min(1).max(100_000).optional(),
  stopTimeoutMs: z.number().int().min(0).optional(),
});

interface Slot {
  name: string;
  spec: ProcessWorkload;
  run: Run | undefined;
  state: RuntimeState;
  startedAt: string | null;
  lastStart: number;
  exitCode: number | null;
  stoppedByOperator: boolean;
  restartCount: number;
  /** What we are doing to it: a healer's restart or a person's stop. */
  busy: 'restarting' | 'stopping' | null;
  lines: string[];
}

/**
 * A process supervisor that passes the RuntimeAdapter contract: `processRuntime({ workloads })`, then `start()`.
 * @example const runtime = processRuntime({ workloads: { api: { command: 'node', args: ['server.js'] } }, logger }); await runtime.start()
 */
export function processRuntime(options: ProcessRuntimeOptions): ProcessRuntime {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const errors = fieldErrorsFromZod(parsed.error);
    throw new AetherError('config_invalid', `processRuntime: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, { errors });
  }
  const log = loggerFor(options.logger, 'runtime.process');
  const clock = options.clock ?? systemClock;
  const keep = options.outputLines ?? 200;
  const defaultStopMs = options.stopTimeoutMs ?? 10_000;
  const listeners = new Set<(event: RuntimeEvent) => void>();
  const slots = new Map<string, Slot>();
  let closed = false;

  for (const [name, spec] of Object.entries(options.workloads)) {
    slots.set(name, { name, spec, run: undefined, state: 'stopped', startedAt: null, lastStart: 0, exitCode: null, stoppedByOperator: false, restartCount: 0, busy: null, lines: [] });
  }

  const emit = (id: string, action: RuntimeEvent['action'], extra: Partial<RuntimeEvent> = {}) => {
    const event: RuntimeEvent = { id, action, at: new Date(clock.now()).toISOString(), ...extra };
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: errorFields(error), workload: id }, 'a runtime watcher threw');
      }
    }
  };
  const ensureOpen = () => {
    if (closed) throw new AetherError('unavailable', 'the process supervisor was closed');
  };
  const slotOf = (name: string) => {
    const slot = slots.get(name);
    if (!slot) throw unknownWorkload(name, 'supervised process');
    return slot;
  };

  async function launch(slot: Slot): Promise<void> {
    const push = (line: string) => {
      slot.lines.push(line);
      if (slot.lines.length > keep) slot.lines.splice(0, slot.lines.length - keep);
    };
    let run: Run;
    try {
      run = await spawnRun(slot.spec, push);
    } catch (error) {
      slot.state = 'dead';
      push(`[aetherlink] could not start ${slot.spec.command}: ${(error as Error).message}`);
      log.error({ workload: slot.name, err: errorFields(error) }, 'could not start the workload');
      throw new AetherError('upstream_failed', `could not start "${slot.name}": ${(error as Error).message}`, { cause: error, details: { id: slot.name } });
    }
    if (closed) {
      // close() ran while this was spawning and did not see it: it must not outlive the supervisor.
      await terminateRun(run, 'SIGKILL', 0, clock);
      throw new AetherError('unavailable', 'the process supervisor was closed');
    }
    // A start within the same millisecond as the last one still reports a later startedAt.
    slot.lastStart = Math.max(clock.now(), slot.lastStart + 1);
    Object.assign(slot, { run, state: 'running', startedAt: new Date(slot.lastStart).toISOString(), exitCode: null, stoppedByOperator: false });
    log.info({ workload: slot.name, pid: run.pid }, 'workload started');
    emit(slot.name, 'start', { byOperator: false });
    void run.exited.then((exitCode) => {
      if (slot.run !== run) return;
      const byOperator = slot.busy === 'stopping';
      slot.exitCode = exitCode;
      slot.stoppedByOperator = byOperator;
      slot.state = byOperator ? 'stopped' : 'exited';
      if (!slot.busy && !closed) log.warn({ workload: slot.name, pid: run.pid, exitCode }, 'workload exited');
      emit(slot.name, 'die', { exitCode, byOperator });
    });
  }

  async function halt(slot: Slot, signal: NodeJS.Signals, stopTimeoutMs: number, byOperator: boolean): Promise<void> {
    const run = slot.run;
    if (!run || run.hasExited()) {
      await run?.closed;
      return;
    }
    emit(slot.name, 'kill', { byOperator });
    await terminateRun(run, signal, stopTimeoutMs, clock);
    emit(slot.name, 'stop', { byOperator });
  }

  /** Runs `work` as the one thing being done to the slot; a second concurrent action is refused. */
  function exclusive(slot: Slot, what: 'restarting' | 'stopping', work: () => Promise<void>): Promise<void> {
    if (slot.busy) return Promise.reject(busy(slot.name, slot.busy));
    slot.busy = what;
    return work().finally(() => {
      slot.busy = null;
    });
  }

  const runtime: ProcessRuntime = {
    kind: 'process',
    async inspect(id, opts) {
      if (opts?.abort?.aborted) throw opts.abort.reason;
      ensureOpen();
      const slot = slots.get(id);
      if (!slot) return { id, state: 'missing', startedAt: null, exitCode: null, stoppedByOperator: false, restartCount: null };
      const state: RuntimeState = slot.busy === 'restarting' ? 'restarting' : slot.state;
      const info: RuntimeInfo = { id, state, startedAt: slot.startedAt, exitCode: state === 'running' ? null : slot.exitCode, stoppedByOperator: slot.stoppedByOperator, restartCount: slot.restartCount };
      return info;
    },
    restart(id, opts: RestartOptions) {
      if (opts.abort?.aborted) return Promise.reject(opts.abort.reason);
      try {
        ensureOpen();
      } catch (error) {
        return Promise.reject(error);
      }
      const slot = slots.get(id);
      if (!slot) return Promise.reject(unknownWorkload(id, 'supervised process'));
      const work = exclusive(slot, 'restarting', async () => {
        await halt(slot, opts.signal ?? 'SIGTERM', opts.stopTimeoutMs, false);
        ensureOpen();
        if (slot.startedAt !== null) slot.restartCount++;
        await launch(slot);
        emit(slot.name, 'restart', { byOperator: false });
      });
      return abortable(work, opts.abort);
    },
    async start(name) {
      ensureOpen();
      const targets = name === undefined ? [...slots.values()] : [slotOf(name)];
      await Promise.all(
        targets
          .filter((slot) => !slot.busy && slot.state !== 'running')
          .map((slot) => exclusive(slot, 'restarting', () => launch(slot))),
      );
    },
    async stop(name, opts = {}) {
      ensureOpen();
      const slot = slotOf(name);
      if (slot.state !== 'running') return;
      log.info({ workload: name }, 'workload stopped by request');
      await exclusive(slot, 'stopping', () => halt(slot, 'SIGTERM', opts.stopTimeoutMs ?? defaultStopMs, true));
    },
    output: (name) => [...slotOf(name).lines],
    watch(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...slots.values()].map((slot) => (slot.run ? terminateRun(slot.run, 'SIGTERM', defaultStopMs, clock) : undefined)));
      listeners.clear();
    },
  };
  return runtime;
}
