import { constants } from 'node:os';
import type { RuntimeEvent, RuntimeInfo, RuntimeState } from '@aetherlink/core';

// Pure pieces of the Docker adapter: what the engine's JSON means for auto-heal. No I/O here.

/** The part of `GET /containers/{id}/json` the adapter reads. */
export interface DockerContainerJson {
  Id: string;
  Name: string;
  RestartCount?: number;
  State: {
    Status: string;
    Running?: boolean;
    Paused?: boolean;
    Restarting?: boolean;
    OOMKilled?: boolean;
    Dead?: boolean;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    Health?: { Status?: string };
  };
  Config?: { StopSignal?: string };
}

/** One message of `GET /events`. */
export interface DockerEventJson {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

const ACTIONS: ReadonlySet<string> = new Set(['start', 'stop', 'die', 'kill', 'restart', 'pause', 'unpause', 'oom', 'destroy']);
/** Signals a person stops a container with (`docker stop` sends the StopSignal, then SIGKILL; `docker kill` SIGKILL). */
const STOPPING = new Set(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGQUIT']);

/** A signal as the engine logs it (`15`, `TERM`, `SIGTERM`) by its name (`SIGTERM`). */
function signalName(signal: string): string {
  if (/^\d+$/.test(signal)) return Object.entries(constants.signals).find(([, n]) => n === Number(signal))?.[0] ?? signal;
  const upper = signal.toUpperCase();
  return upper.startsWith('SIG') ? upper : `SIG${upper}`;
}

/** An engine timestamp as ISO-8601 (milliseconds), or null for Docker's "never" (year 1). */
export function isoOrNull(time: string | undefined): string | null {
  if (!time || time.startsWith('0001-01-01')) return null;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * An engine timestamp as the `since`/`until` query value of `GET /events` (`seconds.nanoseconds`), shifted by
 * `shiftMs`; keeps the nanoseconds the engine wrote.
 * @example eventsTime('2026-11-30T05:01:48.590577288Z') // '1796014908.590577288'
 */
export function eventsTime(time: string, shiftMs = 0): string {
  const match = /^(.*?)(?:\.(\d+))?Z$/.exec(time);
  const whole = Date.parse(`${match?.[1] ?? time}Z`) + shiftMs;
  const nanos = BigInt(Math.floor(whole)) * 1_000_000n + BigInt((match?.[2] ?? '').padEnd(9, '0').slice(0, 9) || '0');
  const seconds = nanos / 1_000_000_000n;
  return `${seconds}.${(nanos % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Docker's container status as a RuntimeState (a running container whose healthcheck is still starting is `starting`). */
export function runtimeStateOf(state: DockerContainerJson['State']): RuntimeState {
  switch (state.Status) {
    case 'running':
      return state.Health?.Status === 'starting' ? 'starting' : 'running';
    case 'created':
      return 'stopped';
    case 'paused':
    case 'restarting':
    case 'exited':
    case 'dead':
      return state.Status;
    case 'removing':
      return 'missing';
    default:
      return 'unknown';
  }
}

/** What the adapter reports for a container, given its verdict on a manual stop. */
export function runtimeInfoOf(id: string, json: DockerContainerJson, stoppedByOperator: boolean): RuntimeInfo {
  const state = runtimeStateOf(json.State);
  const ended = state === 'exited' || state === 'dead';
  return {
    id,
    state,
    startedAt: isoOrNull(json.State.StartedAt),
    exitCode: ended ? (json.State.ExitCode ?? null) : null,
    stoppedByOperator: ended && stoppedByOperator,
    restartCount: json.RestartCount ?? null,
  };
}

/** A stop verdict and the rule that gave it (for logs and the README's table). */
export interface StopVerdict {
  byOperator: boolean;
  rule: 'kill-event' | 'no-kill-event' | 'exit-code';
}

const isStoppingKill = (event: DockerEventJson, stopSignal: string | undefined) => {
  if (event.Action !== 'kill') return false;
  const signal = signalName(event.Actor?.Attributes?.signal ?? '');
  return STOPPING.has(signal) || (stopSignal !== undefined && signal === signalName(stopSignal));
};

/**
 * Did a person stop this exited container? From the engine's events for its last run (asked for from a second
 * before `StartedAt` to `FinishedAt`): when they reach back to the run's `start`, the answer is whether a
 * stopping `kill` came between that start and the exit (only `docker stop` / `docker kill` send one; a crash,
 * an OOM kill or a process killed from outside send none). When the engine no longer holds that history (it
 * keeps a bounded number of events), the exit code decides, erring on the side of leaving it alone: 0, 130,
 * 143, and 137 without an OOM kill count as a stop. A stop that was part of a restart by this adapter is never
 * a person's (the caller passes `ours`).
 * @example decideOperatorStop(json, events, false) // { byOperator: true, rule: 'kill-event' }
 */
export function decideOperatorStop(json: DockerContainerJson, events: DockerEventJson[], ours: boolean): StopVerdict {
  // A busy engine may log a kill after the exit it caused (the process is gone before the kill is logged): a kill
  // up to KILL_LOG_LAG_MS after FinishedAt still counts; any other event after FinishedAt is a later run's.
  const finished = json.State.FinishedAt && !json.State.FinishedAt.startsWith('0001') ? Number(eventsTime(json.State.FinishedAt).replace('.', '')) : NaN;
  const inRun = Number.isFinite(finished) ? events.filter((e) => e.timeNano === undefined || e.timeNano <= finished + 1e6 || e.Action === 'kill') : events;
  const byTime = [...inRun].sort((a, b) => (a.timeNano ?? 0) - (b.timeNano ?? 0));
  const lastStart = byTime.map((e) => e.Action).lastIndexOf('start');
  if (lastStart >= 0) {
    const killed = byTime.slice(lastStart + 1).some((e) => isStoppingKill(e, json.Config?.StopSignal));
    return { byOperator: killed && !ours, rule: killed ? 'kill-event' : 'no-kill-event' };
  }
  const code = json.State.ExitCode ?? -1;
  const stopped = code === 0 || code === 130 || code === 143 || (code === 137 && !json.State.OOMKilled);
  return { byOperator: stopped && !ours, rule: 'exit-code' };
}

/**
 * A container event of the engine as a RuntimeEvent (named by container name), or undefined for anything else
 * (image, network and exec events, health status changes).
 * @example runtimeEventOf(json, false) // { id: 'billing', action: 'die', exitCode: 1, byOperator: false, at }
 */
export function runtimeEventOf(event: DockerEventJson, byOperator: boolean): RuntimeEvent | undefined {
  if (event.Type !== 'container' || !event.Action || !ACTIONS.has(event.Action)) return undefined;
  const name = event.Actor?.Attributes?.name ?? event.Actor?.ID;
  if (!name) return undefined;
  const ms = event.timeNano ? Math.floor(event.timeNano / 1e6) : (event.time ?? 0) * 1000;
  const exit = event.Actor?.Attributes?.exitCode;
  return {
    id: name,
    action: event.Action as RuntimeEvent['action'],
    at: new Date(ms).toISOString(),
    ...(exit !== undefined ? { exitCode: Number(exit) } : {}),
    byOperator,
  };
}

/** How long after a container's FinishedAt its `kill` event may be logged and still count (see decideOperatorStop). */
export const KILL_LOG_LAG_MS = 2000;

/** True for a `kill` event a person's stop sends (so the `die` and `stop` after it are a person's too). */
export const isStoppingKillEvent = (event: DockerEventJson): boolean => isStoppingKill(event, undefined);
