import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuntimeAdapter, RuntimeEvent, RuntimeInfo } from '../runtime/runtime-adapter.js';
import { eventually, rejection } from './helpers.js';

/** The three workloads the contract drives; harnesses run `CONTRACT_WORKLOADS[name]` with `sh -c`. */
export type ContractWorkload = 'graceful' | 'stubborn' | 'crashing';

/**
 * POSIX shell scripts (dash, busybox ash) for the contract's workloads. Each writes its evidence on stdout, one
 * line at a time, so the contract asserts what the workload lived through rather than how long anything took:
 * `graceful` cleans up for 0.2 s after SIGTERM and exits 0, `stubborn` notes SIGTERM and goes on until it is
 * killed, `crashing` exits 1 after 0.3 s. The traps are set before "started" is written, so a signal sent once
 * "started" was seen always finds them.
 * @example spawn('sh', ['-c', CONTRACT_WORKLOADS.stubborn])
 */
export const CONTRACT_WORKLOADS: Readonly<Record<ContractWorkload, string>> = {
  graceful: `trap 'echo "got SIGTERM"; sleep 0.2; echo "clean exit"; exit 0' TERM
echo started
while :; do sleep 0.05; done`,
  stubborn: `trap 'echo "got SIGTERM"; termed=1' TERM
echo started
while :; do sleep 0.05; if [ -n "$termed" ]; then echo "still running after SIGTERM"; termed=; fi; done`,
  crashing: `echo started
sleep 0.3
echo crashing
exit 1`,
};

/** What a harness gives the contract: the adapter, and the means to make workloads and read what they wrote. */
export interface RuntimeContractSubject {
  runtime: RuntimeAdapter;
  /** Creates and starts a workload running `CONTRACT_WORKLOADS[workload]`; resolves with its id. */
  start(workload: ContractWorkload): Promise<string>;
  /** Stops it the way a person does (`docker stop`, the supervisor's stop command). */
  stopByOperator(id: string): Promise<void>;
  /** Every line the workload wrote so far, over all its runs, oldest first. */
  output(id: string): Promise<string[]>;
  /** Pauses it, for runtimes that can (the contract then checks restarts skip paused workloads). */
  pause?(id: string): Promise<void>;
  /** An adapter of the same kind whose runtime cannot be reached (nothing listens, or it was closed). */
  unreachable(): RuntimeAdapter | Promise<RuntimeAdapter>;
  cleanup?(): Promise<void>;
}

const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;

/**
 * The RuntimeAdapter contract: Docker, the process supervisor and the recording fake all run it.
 * @example describeRuntimeAdapterContract('process', async () => processHarness())
 */
export function describeRuntimeAdapterContract(name: string, factory: () => Promise<RuntimeContractSubject> | RuntimeContractSubject): void {
  describe(`RuntimeAdapter contract: ${name}`, () => {
    let subject: RuntimeContractSubject;
    beforeEach(async () => {
      subject = await factory();
    });
    afterEach(async () => {
      await subject.cleanup?.();
    });

    const startAndWait = async (workload: ContractWorkload) => {
      const id = await subject.start(workload);
      await eventually(async () => (await subject.output(id)).includes('started'), `${workload} workload ${id} writes "started"`);
      return id;
    };
    const inspectUntil = (id: string, what: string, ok: (info: RuntimeInfo) => boolean) =>
      eventually(async () => {
        const info = await subject.runtime.inspect(id);
        return ok(info) && info;
      }, what);

    it('inspects a running workload: running, when it started, no exit code, not stopped by a person', async () => {
      expect(subject.runtime.kind).toMatch(/\S/);
      const id = await startAndWait('graceful');
      const info = await subject.runtime.inspect(id);
      expect(info).toMatchObject({ id, state: 'running', exitCode: null, stoppedByOperator: false });
      expect(new Date(info.startedAt!).toISOString()).toBe(info.startedAt);
    });

    it('reports a workload it does not know as missing, and refuses to restart it with not_found', async () => {
      const info = await subject.runtime.inspect('aetherlink-contract-no-such-workload');
      expect(info).toMatchObject({ id: 'aetherlink-contract-no-such-workload', state: 'missing', startedAt: null, stoppedByOperator: false });
      expect((await rejection(subject.runtime.restart('aetherlink-contract-no-such-workload', { stopTimeoutMs: 1000 }))).code).toBe('not_found');
    });

    it('restarts a workload: SIGTERM first, the time it needs to exit cleanly, then a new run with a later startedAt', async () => {
      const id = await startAndWait('graceful');
      const before = await subject.runtime.inspect(id);
      await subject.runtime.restart(id, { stopTimeoutMs: 10_000 });
      const after = await inspectUntil(id, 'the restarted workload runs', (i) => i.state === 'running');
      expect(after.stoppedByOperator).toBe(false);
      expect(Date.parse(after.startedAt!)).toBeGreaterThan(Date.parse(before.startedAt!));
      const lines = await eventually(async () => {
        const out = await subject.output(id);
        return count(out, 'started') === 2 && out;
      }, 'the second run writes "started"');
      // It got SIGTERM and was left to finish its 0.2 s of cleanup before the new run began.
      expect(lines.indexOf('got SIGTERM')).toBeGreaterThan(lines.indexOf('started'));
      expect(lines.indexOf('clean exit')).toBeGreaterThan(lines.indexOf('got SIGTERM'));
      expect(lines.lastIndexOf('started')).toBeGreaterThan(lines.indexOf('clean exit'));
    });

    it('kills a workload that ignores SIGTERM once stopTimeoutMs has passed, and starts it again', async () => {
      const id = await startAndWait('stubborn');
      const events: RuntimeEvent[] = [];
      const unwatch = subject.runtime.watch?.((e) => e.id === id && events.push(e));
      try {
        await subject.runtime.restart(id, { stopTimeoutMs: 1000 });
        const lines = await eventually(async () => {
          const out = await subject.output(id);
          return count(out, 'started') === 2 && out;
        }, 'the second run writes "started"');
        // Still alive after SIGTERM (so not killed at once), never exited on its own, then a new run.
        const term = lines.indexOf('got SIGTERM');
        expect(term).toBeGreaterThan(0);
        expect(lines.indexOf('still running after SIGTERM')).toBeGreaterThan(term);
        expect(lines).not.toContain('clean exit');
        expect(lines.lastIndexOf('started')).toBeGreaterThan(lines.indexOf('still running after SIGTERM'));
        expect((await subject.runtime.inspect(id)).state).toBe('running');
        if (unwatch) {
          const die = await eventually(() => events.find((e) => e.action === 'die'), 'a die event for the killed run');
          expect(die.exitCode).toBe(137);
          expect(die.byOperator ?? false).toBe(false);
        }
      } finally {
        unwatch?.();
      }
    });

    it('reports a workload a person stopped as stoppedByOperator, until a restart brings it back', async () => {
      const id = await startAndWait('graceful');
      await subject.stopByOperator(id);
      const stopped = await inspectUntil(id, 'the workload stopped', (i) => i.state !== 'running');
      expect(['stopped', 'exited']).toContain(stopped.state);
      expect(stopped.stoppedByOperator).toBe(true);
      expect(stopped.startedAt).not.toBeNull();
      await subject.runtime.restart(id, { stopTimeoutMs: 1000 });
      const again = await subject.runtime.inspect(id);
      expect(again).toMatchObject({ state: 'running', stoppedByOperator: false, exitCode: null });
    });

    it('reports a crash as exited with its exit code, not as a stop by a person', async () => {
      const id = await startAndWait('crashing');
      const crashed = await inspectUntil(id, 'the workload crashed', (i) => i.state === 'exited');
      expect(crashed).toMatchObject({ id, state: 'exited', exitCode: 1, stoppedByOperator: false });
      expect(await subject.output(id)).toContain('crashing');
    });

    it('watch reports die and start for a restart, a stop by a person, and a crash with its exit code', async () => {
      if (!subject.runtime.watch) return;
      const id = await startAndWait('graceful');
      const events: RuntimeEvent[] = [];
      const dropped: RuntimeEvent[] = [];
      const unwatch = subject.runtime.watch((e) => events.push(e));
      subject.runtime.watch((e) => dropped.push(e))();
      const of = (workload: string, action: RuntimeEvent['action']) => events.filter((e) => e.id === workload && e.action === action);
      try {
        await subject.runtime.restart(id, { stopTimeoutMs: 10_000 });
        await eventually(() => of(id, 'start').length === 1, 'a start event after the restart');
        const mine = events.filter((e) => e.id === id);
        const die = mine.findIndex((e) => e.action === 'die');
        expect(die).toBeGreaterThanOrEqual(0);
        expect(mine.findIndex((e) => e.action === 'start')).toBeGreaterThan(die);
        expect(mine[die]).toMatchObject({ exitCode: 0 });
        expect(mine.every((e) => e.byOperator !== true)).toBe(true);
        for (const e of mine) expect(new Date(e.at).toISOString()).toBe(e.at);

        await subject.stopByOperator(id);
        await eventually(() => of(id, 'die').length === 2, 'a die event after the stop by a person');
        expect(of(id, 'die')[1]!.byOperator).toBe(true);

        const crasher = await startAndWait('crashing');
        const crash = await eventually(() => of(crasher, 'die')[0], 'a die event for the crash');
        expect(crash.exitCode).toBe(1);
        expect(crash.byOperator ?? false).toBe(false);
        expect(dropped).toEqual([]);
      } finally {
        unwatch();
      }
    });

    it('honours an aborted signal: rejects with its reason, without waiting for the workload', async () => {
      const id = await startAndWait('stubborn');
      const early = new Error('aborted before the call');
      await expect(subject.runtime.inspect(id, { abort: AbortSignal.abort(early) })).rejects.toBe(early);
      await expect(subject.runtime.restart(id, { stopTimeoutMs: 1000, abort: AbortSignal.abort(early) })).rejects.toBe(early);
      expect(count(await subject.output(id), 'got SIGTERM')).toBe(0);

      const controller = new AbortController();
      const reason = new Error('the healer lost leadership');
      const restarting = subject.runtime.restart(id, { stopTimeoutMs: 20_000, abort: controller.signal });
      const settled = restarting.catch((error: unknown) => error);
      await eventually(async () => (await subject.output(id)).includes('got SIGTERM'), 'the workload gets SIGTERM');
      controller.abort(reason);
      expect(await settled).toBe(reason);
      // The 20 s stop timeout is still running: no new run has started.
      expect(count(await subject.output(id), 'started')).toBe(1);
    });

    it('refuses a second restart of a workload while one is in flight (conflict)', async () => {
      const id = await startAndWait('stubborn');
      const first = subject.runtime.restart(id, { stopTimeoutMs: 1000 });
      await eventually(async () => (await subject.output(id)).includes('got SIGTERM'), 'the first restart sends SIGTERM');
      const second = await rejection(subject.runtime.restart(id, { stopTimeoutMs: 1000 }));
      expect(second.code).toBe('conflict');
      expect(second.details).toMatchObject({ state: 'restarting' });
      expect((await subject.runtime.inspect(id)).state).toBe('restarting');
      await first;
      expect((await subject.runtime.inspect(id)).state).toBe('running');
    });

    it('skips a paused workload: restart refuses with conflict and leaves it paused', async () => {
      if (!subject.pause) return;
      const id = await startAndWait('graceful');
      await subject.pause(id);
      expect((await subject.runtime.inspect(id)).state).toBe('paused');
      const error = await rejection(subject.runtime.restart(id, { stopTimeoutMs: 1000 }));
      expect(error.code).toBe('conflict');
      expect(error.details).toMatchObject({ state: 'paused' });
      expect((await subject.runtime.inspect(id)).state).toBe('paused');
      expect(count(await subject.output(id), 'got SIGTERM')).toBe(0);
    });

    it('throws unavailable when the runtime itself cannot be reached', async () => {
      const down = await subject.unreachable();
      try {
        expect((await rejection(down.inspect('anything'))).code).toBe('unavailable');
        expect((await rejection(down.restart('anything', { stopTimeoutMs: 1000 }))).code).toBe('unavailable');
      } finally {
        await down.close?.();
      }
    });
  });
}
