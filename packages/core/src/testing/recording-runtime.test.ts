import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { errorCode } from './helpers.js';
import { recordingRuntime } from './recording-runtime.js';
import { describeRuntimeAdapterContract } from './runtime-contract.js';

let n = 0;
describeRuntimeAdapterContract('recording fake', () => {
  const runtime = recordingRuntime();
  return {
    runtime,
    async start(workload) {
      const id = `w${++n}`;
      runtime.set(id, { state: 'running' });
      runtime.behave(id, workload);
      return id;
    },
    async stopByOperator(id) {
      runtime.stop(id);
    },
    output: async (id) => runtime.output(id),
    async pause(id) {
      runtime.emit({ id, action: 'pause' });
    },
    unreachable() {
      const down = recordingRuntime();
      down.setUnavailable(true);
      return down;
    },
    cleanup: () => runtime.close(),
  };
});

describe('recordingRuntime', () => {
  it('records every call with its options, in order, on the injected clock', async () => {
    const clock = createManualClock();
    const runtime = recordingRuntime({ clock, workloads: { billing: {}, search: { state: 'exited', exitCode: 2 } } });
    await runtime.inspect('billing');
    clock.advance(5);
    await runtime.restart('search', { stopTimeoutMs: 3000, signal: 'SIGINT' });
    expect(runtime.calls).toEqual([
      { method: 'inspect', id: 'billing', at: clock.now() - 5 },
      { method: 'restart', id: 'search', options: { stopTimeoutMs: 3000, signal: 'SIGINT', aborted: false }, at: clock.now() },
    ]);
    expect(runtime.restarts()).toEqual(['search']);
    expect(await runtime.inspect('search')).toMatchObject({ state: 'running', exitCode: null, restartCount: 1 });
  });

  it('fails the next restarts as told, then restarts again', async () => {
    const runtime = recordingRuntime({ workloads: { billing: { state: 'exited', exitCode: 1 } } });
    runtime.failRestart('billing', undefined, 2);
    expect(await errorCode(runtime.restart('billing', { stopTimeoutMs: 10 }))).toBe('upstream_failed');
    const boom = new Error('boom');
    runtime.failRestart('billing', boom);
    await expect(runtime.restart('billing', { stopTimeoutMs: 10 })).rejects.toMatchObject({ code: 'upstream_failed' });
    await expect(runtime.restart('billing', { stopTimeoutMs: 10 })).rejects.toBe(boom);
    expect((await runtime.inspect('billing')).state).toBe('exited');
    await runtime.restart('billing', { stopTimeoutMs: 10 });
    expect((await runtime.inspect('billing')).state).toBe('running');
  });

  it('applies emitted events to the state and hands them to watchers', async () => {
    const runtime = recordingRuntime({ workloads: { billing: {} } });
    const seen: string[] = [];
    const off = runtime.watch!((e) => seen.push(`${e.id}:${e.action}:${e.exitCode ?? '-'}`));
    runtime.emit({ id: 'billing', action: 'die', exitCode: 3 });
    expect(await runtime.inspect('billing')).toMatchObject({ state: 'exited', exitCode: 3, stoppedByOperator: false });
    runtime.emit({ id: 'billing', action: 'die', exitCode: 0, byOperator: true });
    expect((await runtime.inspect('billing')).stoppedByOperator).toBe(true);
    off();
    runtime.emit({ id: 'billing', action: 'start' });
    expect(seen).toEqual(['billing:die:3', 'billing:die:0']);
    expect((await runtime.inspect('billing')).state).toBe('running');
    runtime.remove('billing');
    expect((await runtime.inspect('billing')).state).toBe('missing');
  });

  it('waits stopTimeoutMs on its clock before killing a stubborn workload', async () => {
    const clock = createManualClock();
    const runtime = recordingRuntime({ clock, workloads: { api: {} } });
    runtime.behave('api', 'stubborn');
    let done = false;
    const restarting = runtime.restart('api', { stopTimeoutMs: 5000 }).then(() => (done = true));
    await clock.advanceAsync(4999);
    expect(done).toBe(false);
    expect((await runtime.inspect('api')).state).toBe('restarting');
    await clock.advanceAsync(1);
    await restarting;
    expect(runtime.output('api')).toEqual(['started', 'got SIGTERM', 'still running after SIGTERM', 'started']);
  });

  it('can leave watch out, like a runtime without an event stream', () => {
    expect(recordingRuntime({ watch: false }).watch).toBeUndefined();
  });
});
