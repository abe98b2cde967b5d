import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTRACT_WORKLOADS, describeRuntimeAdapterContract, errorCode, eventually, memoryLogger, rejection } from '@aetherlink/core/testing';
import { processRuntime, type ProcessRuntime } from './process.js';

const sh = (script: string) => ({ command: 'sh', args: ['-c', script] });
const contractWorkloads = {
  graceful: sh(CONTRACT_WORKLOADS.graceful),
  stubborn: sh(CONTRACT_WORKLOADS.stubborn),
  crashing: sh(CONTRACT_WORKLOADS.crashing),
};

describeRuntimeAdapterContract('process', () => {
  const runtime = processRuntime({ workloads: contractWorkloads, logger: memoryLogger().logger, stopTimeoutMs: 500 });
  return {
    runtime,
    async start(workload) {
      await runtime.start(workload);
      return workload;
    },
    stopByOperator: (id) => runtime.stop(id, { stopTimeoutMs: 5000 }),
    output: async (id) => runtime.output(id),
    async unreachable() {
      const closed = processRuntime({ workloads: {}, logger: memoryLogger().logger });
      await closed.close();
      return closed;
    },
    cleanup: () => runtime.close(),
  };
});

// A killed orphan may stay a zombie until something reaps it: alive means present and not a zombie.
const pidAlive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('processRuntime', () => {
  const open: ProcessRuntime[] = [];
  const make = (workloads: Parameters<typeof processRuntime>[0]['workloads'], more: Partial<Parameters<typeof processRuntime>[0]> = {}) => {
    const runtime = processRuntime({ workloads, logger: memoryLogger().logger, stopTimeoutMs: 500, ...more });
    open.push(runtime);
    return runtime;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });

  it('names the bad option field', () => {
    const error = (() => {
      try {
        processRuntime({ workloads: { api: { command: '', args: [1 as unknown as string] } } });
      } catch (e) {
        return e as { code: string; errors: { field: string }[] };
      }
      throw new Error('expected a throw');
    })();
    expect(error.code).toBe('config_invalid');
    expect(error.errors.map((e) => e.field).sort()).toEqual(['workloads.api.args.0', 'workloads.api.command']);
  });

  it('keeps only the last outputLines lines, from stdout and stderr, a last line without a newline too', async () => {
    const runtime = make({ talk: sh('i=0; while [ $i -lt 30 ]; do echo "out $i"; i=$((i+1)); done; printf "no newline"'), moan: sh('echo "on stderr" >&2') }, { outputLines: 5 });
    await runtime.start('talk');
    const lines = await eventually(() => runtime.output('talk').includes('no newline') && runtime.output('talk'), 'the last line is read');
    expect(lines).toEqual(['out 26', 'out 27', 'out 28', 'out 29', 'no newline']);
    // Its output may end before the exit is reported: wait for the exit itself.
    expect(await eventually(async () => (await runtime.inspect('talk')).exitCode === 0, 'the talker exits 0')).toBe(true);
    await runtime.start('moan');
    await eventually(() => runtime.output('moan').includes('on stderr'), 'the stderr line is kept');
  });

  it('passes env and cwd, without a shell between it and the command', async () => {
    const runtime = make({ env: { command: 'sh', args: ['-c', 'echo "$GREETING from $(pwd)"; echo "$0"', '$HOME;rm'], env: { GREETING: 'hello' }, cwd: '/tmp' } });
    await runtime.start('env');
    const lines = await eventually(() => runtime.output('env').length === 2 && runtime.output('env'), 'two lines');
    expect(lines).toEqual(['hello from /tmp', '$HOME;rm']);
  });

  it('reports a command that cannot start as dead, with the reason in its output', async () => {
    const runtime = make({ ghost: { command: '/nonexistent/aetherlink-ghost' } });
    expect(await errorCode(runtime.start('ghost'))).toBe('upstream_failed');
    expect((await runtime.inspect('ghost')).state).toBe('dead');
    expect(runtime.output('ghost')[0]).toContain('ENOENT');
    expect(await errorCode(runtime.restart('ghost', { stopTimeoutMs: 100 }))).toBe('upstream_failed');
  });

  it('stops the whole process group: a child the workload left behind is killed too', async () => {
    // The workload starts a grandchild that ignores SIGTERM and exits itself at once on SIGTERM.
    const runtime = make({
      parent: sh(`sh -c 'trap "" TERM; echo "child $$"; while :; do sleep 0.05; done' & trap 'exit 0' TERM; echo started; while :; do sleep 0.05; done`),
    });
    await runtime.start('parent');
    const line = await eventually(() => runtime.output('parent').find((l) => l.startsWith('child ')), 'the grandchild reports its pid');
    const grandchild = Number(line.split(' ')[1]);
    expect(pidAlive(grandchild)).toBe(true);
    await runtime.restart('parent', { stopTimeoutMs: 300 });
    await eventually(() => !pidAlive(grandchild), 'the grandchild is killed with its group');
    expect((await runtime.inspect('parent')).state).toBe('running');
  });

  it('close() stops every workload and its group, and then refuses calls as unavailable', async () => {
    const runtime = make({ a: sh(CONTRACT_WORKLOADS.stubborn), b: sh(CONTRACT_WORKLOADS.graceful), idle: sh('exit 0') });
    await runtime.start('a');
    await runtime.start('b');
    await eventually(() => runtime.output('a').includes('started') && runtime.output('b').includes('started'), 'both run');
    const seen: string[] = [];
    runtime.watch((e) => seen.push(`${e.id}:${e.action}:${e.exitCode ?? ''}`));
    await runtime.close();
    expect(seen).toEqual(expect.arrayContaining(['a:die:137', 'b:die:0']));
    expect(runtime.output('b')).toContain('clean exit');
    expect((await rejection(runtime.inspect('a'))).code).toBe('unavailable');
    expect(await errorCode(runtime.start())).toBe('unavailable');
  });

  it('start() after a stop by a person runs it again and clears stoppedByOperator; stop() of a stopped one is a no-op', async () => {
    const runtime = make({ w: sh(CONTRACT_WORKLOADS.graceful) });
    await runtime.start();
    await eventually(() => runtime.output('w').includes('started'), 'started');
    await runtime.stop('w', { stopTimeoutMs: 10_000 });
    expect(await runtime.inspect('w')).toMatchObject({ state: 'stopped', stoppedByOperator: true, exitCode: 0 });
    await runtime.stop('w');
    await runtime.start('w');
    expect(await runtime.inspect('w')).toMatchObject({ state: 'running', stoppedByOperator: false, exitCode: null });
    expect(await errorCode(runtime.start('nope'))).toBe('not_found');
  });

  it('sends the signal it is given first', async () => {
    // SIGUSR1, not SIGINT: a shell cannot trap a signal its parent ignored, and test runners may ignore SIGINT.
    const runtime = make({ w: sh(`echo started; trap 'echo "got SIGUSR1"; exit 0' USR1; trap 'echo "got SIGTERM"; exit 0' TERM; while :; do sleep 0.05; done`) });
    await runtime.start('w');
    await eventually(() => runtime.output('w').includes('started'), 'started');
    await runtime.restart('w', { stopTimeoutMs: 5000, signal: 'SIGUSR1' });
    expect(runtime.output('w')).toContain('got SIGUSR1');
    expect(runtime.output('w')).not.toContain('got SIGTERM');
    expect((await runtime.inspect('w')).restartCount).toBe(1);
  });
});
