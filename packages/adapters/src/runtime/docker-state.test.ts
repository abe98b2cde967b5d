import { describe, expect, it } from 'vitest';
import { decideOperatorStop, eventsTime, isoOrNull, runtimeEventOf, runtimeInfoOf, runtimeStateOf, type DockerContainerJson, type DockerEventJson } from './docker-state.js';

const container = (state: Partial<DockerContainerJson['State']>, more: Partial<DockerContainerJson> = {}): DockerContainerJson => ({
  Id: 'abc123',
  Name: '/billing',
  RestartCount: 0,
  State: { Status: 'exited', ExitCode: 0, OOMKilled: false, StartedAt: '2026-11-30T05:00:00.123456789Z', FinishedAt: '2026-11-30T05:01:00.5Z', ...state },
  ...more,
});
let nano = 1_796_014_800_000_000_000;
const event = (Action: string, attributes: Record<string, string> = {}): DockerEventJson => ({
  Type: 'container',
  Action,
  Actor: { ID: 'abc123', Attributes: { name: 'billing', ...attributes } },
  timeNano: (nano += 1_000_000),
});

describe('decideOperatorStop', () => {
  it('a stopping kill after the run started is a person, unless the stop was part of our restart', () => {
    const history = [event('start'), event('kill', { signal: '15' }), event('die', { exitCode: '0' }), event('stop')];
    expect(decideOperatorStop(container({}), history, false)).toEqual({ byOperator: true, rule: 'kill-event' });
    expect(decideOperatorStop(container({}), history, true)).toEqual({ byOperator: false, rule: 'kill-event' });
    expect(decideOperatorStop(container({ ExitCode: 137 }), [event('start'), event('kill', { signal: 'SIGKILL' }), event('die')], false).byOperator).toBe(true);
  });

  it('a die without a kill is a crash, whatever the exit code; a reload signal is not a stop', () => {
    expect(decideOperatorStop(container({ ExitCode: 137 }), [event('start'), event('die', { exitCode: '137' })], false)).toEqual({ byOperator: false, rule: 'no-kill-event' });
    expect(decideOperatorStop(container({ ExitCode: 1 }), [event('start'), event('kill', { signal: '1' }), event('die')], false).byOperator).toBe(false);
  });

  it('honours the container StopSignal, and only looks after the last start', () => {
    const custom = container({ ExitCode: 0 }, { Config: { StopSignal: 'SIGUSR1' } });
    expect(decideOperatorStop(custom, [event('start'), event('kill', { signal: '10' }), event('die')], false).byOperator).toBe(true);
    expect(decideOperatorStop(custom, [event('start'), event('kill', { signal: 'USR1' }), event('die')], false).byOperator).toBe(true);
    expect(decideOperatorStop(container({ ExitCode: 1 }), [event('start'), event('kill', { signal: '10' }), event('die')], false).byOperator).toBe(false);
    const earlierStop = [event('start'), event('kill', { signal: '15' }), event('die'), event('start'), event('die', { exitCode: '1' })];
    expect(decideOperatorStop(container({ ExitCode: 1 }), earlierStop, false).byOperator).toBe(false);
  });

  it('counts a kill the engine logged just after the exit it caused, and ignores a later run after FinishedAt', () => {
    const at = (ms: number) => 1_796_014_800_000_000_000 + ms * 1e6;
    const exited = container({ ExitCode: 137, StartedAt: '2026-11-30T05:00:00.001Z', FinishedAt: '2026-11-30T05:00:00.010Z' });
    const late = [{ ...event('start'), timeNano: at(1) }, { ...event('die', { exitCode: '137' }), timeNano: at(10) }, { ...event('kill', { signal: '9' }), timeNano: at(12) }];
    expect(decideOperatorStop(exited, late, false)).toEqual({ byOperator: true, rule: 'kill-event' });
    const stopped = container({ ExitCode: 143, StartedAt: '2026-11-30T05:00:00.001Z', FinishedAt: '2026-11-30T05:00:00.010Z' });
    const restarted = [{ ...event('start'), timeNano: at(1) }, { ...event('kill', { signal: '15' }), timeNano: at(5) }, { ...event('die'), timeNano: at(10) }, { ...event('start'), timeNano: at(900) }];
    expect(decideOperatorStop(stopped, restarted, false).byOperator).toBe(true);
  });

  it('falls back on the exit code when the engine no longer holds the run start, leaving ambiguous stops alone', () => {
    const noHistory = (ExitCode: number, OOMKilled = false) => decideOperatorStop(container({ ExitCode, OOMKilled }), [event('die')], false);
    for (const code of [0, 130, 143, 137]) expect(noHistory(code)).toEqual({ byOperator: true, rule: 'exit-code' });
    for (const code of [1, 2, 139]) expect(noHistory(code).byOperator).toBe(false);
    expect(noHistory(137, true).byOperator).toBe(false);
    expect(decideOperatorStop(container({ ExitCode: 143 }), [], true).byOperator).toBe(false);
  });
});

describe('Docker state mapping', () => {
  it('maps every engine status', () => {
    expect(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead', 'odd'].map((Status) => runtimeStateOf({ Status }))).toEqual([
      'stopped', 'running', 'paused', 'restarting', 'missing', 'exited', 'dead', 'unknown',
    ]);
    expect(runtimeStateOf({ Status: 'running', Health: { Status: 'starting' } })).toBe('starting');
  });

  it('reports times as ISO, never-started as null, exit codes only for ended runs', () => {
    expect(isoOrNull('0001-01-01T00:00:00Z')).toBeNull();
    expect(isoOrNull('2026-11-30T05:00:00.123456789Z')).toBe('2026-11-30T05:00:00.123Z');
    expect(runtimeInfoOf('billing', container({ Status: 'running', ExitCode: 0 }), true)).toEqual({
      id: 'billing', state: 'running', startedAt: '2026-11-30T05:00:00.123Z', exitCode: null, stoppedByOperator: false, restartCount: 0,
    });
    expect(runtimeInfoOf('billing', container({ ExitCode: 3 }), false)).toMatchObject({ state: 'exited', exitCode: 3, stoppedByOperator: false });
    expect(runtimeInfoOf('billing', container({ Status: 'created', StartedAt: '0001-01-01T00:00:00Z' }), false)).toMatchObject({ state: 'stopped', startedAt: null });
  });

  it('writes events query times with the nanoseconds the engine gave', () => {
    expect(eventsTime('2026-11-30T05:01:48.590577288Z')).toBe('1796014908.590577288');
    expect(eventsTime('2026-11-30T05:01:48.5Z', -1000)).toBe('1796014907.500000000');
    expect(eventsTime('2026-11-30T05:01:48Z', 1)).toBe('1796014908.001000000');
  });

  it('turns container events into runtime events by container name, and drops the rest', () => {
    expect(runtimeEventOf({ ...event('die', { exitCode: '2' }), timeNano: 1_796_014_908_590_577_288 }, false)).toEqual({
      id: 'billing', action: 'die', exitCode: 2, byOperator: false, at: '2026-11-30T05:01:48.590Z',
    });
    expect(runtimeEventOf({ ...event('exec_start: sh') }, false)).toBeUndefined();
    expect(runtimeEventOf({ ...event('start'), Type: 'network' }, false)).toBeUndefined();
  });
});
