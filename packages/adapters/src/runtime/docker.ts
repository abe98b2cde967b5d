// @aetherlink/adapters/docker: the Docker engine as an auto-heal runtime, through dockerode (an optional peer).
// It uses three API endpoints and nothing else (README: "Least privilege"): GET /containers/{id}/json,
// POST /containers/{id}/restart, and GET /events (a live stream for watch; bounded by since/until for the stop rule).

import { AetherError, errorFields, loggerFor, systemClock, type Clock, type Logger, type RestartOptions, type RuntimeEvent, type RuntimeAdapter } from '@aetherlink/core';
import { describeConnection, engineCall, loadDockerode, type DockerClient, type DockerConnection } from './docker-client.js';
import { openEventStream } from './docker-events.js';
import { decideOperatorStop, eventsTime, isStoppingKillEvent, KILL_LOG_LAG_MS, runtimeEventOf, runtimeInfoOf, type DockerContainerJson, type DockerEventJson } from './docker-state.js';
import { abortable, busy, unknownWorkload } from './shared.js';

export type { DockerConnection } from './docker-client.js';
export { decideOperatorStop } from './docker-state.js';
export type { StopVerdict, DockerContainerJson, DockerEventJson } from './docker-state.js';

export interface DockerRuntimeOptions extends DockerConnection {
  /** Limit for each quick call (inspect, an events query). Default 10 000 ms. */
  apiTimeoutMs?: number;
  /** What a restart may take beyond the stop timeout: the restart call's limit is stop + this. Default 60 000 ms. */
  startTimeoutMs?: number;
  logger?: Logger;
  clock?: Clock;
}

/** The Docker runtime: containers are named by their name (or id); `watch` follows the engine's events. */
export interface DockerRuntime extends RuntimeAdapter {
  watch(listener: (event: RuntimeEvent) => void): () => void;
  close(): Promise<void>;
}

const OURS_GRACE_MS = 5000;
const VERDICTS_KEPT = 1000;

/**
 * Inspects and restarts containers of a Docker engine, and reports when a person stopped one.
 * @example const runtime = dockerRuntime({ socketPath: '/var/run/docker.sock', logger }); await runtime.restart('billing', { stopTimeoutMs: 10_000 })
 */
export function dockerRuntime(options: DockerRuntimeOptions = {}): DockerRuntime {
  const log = loggerFor(options.logger, 'runtime.docker');
  const clock = options.clock ?? systemClock;
  const where = describeConnection(options);
  const apiTimeoutMs = options.apiTimeoutMs ?? 10_000;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  let client: Promise<DockerClient> | undefined;
  const getClient = () =>
    (client ??= loadDockerode().then((Docker) => {
      const { socketPath, host, port, protocol } = options;
      return new Docker(host ? { host, port, protocol } : { socketPath: socketPath ?? '/var/run/docker.sock' });
    })).catch((error: unknown) => {
      client = undefined;
      throw error;
    });

  // Restarts in flight by this adapter: by the name asked for (a second restart is refused) and by container id
  // (the engine's kill/die/stop of our own restart are never a person's).
  const restarting = new Set<string>();
  const ours = new Map<string, unknown>();
  // A failed restart of ours can leave a container exited: its FinishedAt marks that stop as ours.
  const oursFinishedAt = new Map<string, string>();
  const verdicts = new Map<string, boolean>();

  const inspectJson = async (id: string, abort?: AbortSignal): Promise<DockerContainerJson | undefined> => {
    const c = await getClient();
    try {
      return await engineCall((abortSignal) => c.getContainer(id).inspect({ abortSignal }), { timeoutMs: apiTimeoutMs, what: `inspect of "${id}"`, where, abort, cancelOnAbort: true });
    } catch (error) {
      if (error instanceof AetherError && error.code === 'not_found') return undefined;
      throw error;
    }
  };

  // Events until a little after the exit (a kill may be logged after it), but never in the future: `until` ahead
  // of the engine's clock would hold the answer until then.
  const lagAllowance = (finished: string) => Math.min(KILL_LOG_LAG_MS, Math.max(1, clock.now() - Date.parse(finished)));

  async function operatorStopped(json: DockerContainerJson, abort?: AbortSignal): Promise<boolean> {
    const finished = json.State.FinishedAt ?? '';
    const key = `${json.Id}@${finished}`;
    const known = verdicts.get(key);
    if (known !== undefined) return known;
    const c = await getClient();
    const events: DockerEventJson[] = [];
    if (json.State.StartedAt && !json.State.StartedAt.startsWith('0001')) {
      const stream = await engineCall(
        (abortSignal) =>
          c.getEvents({ since: eventsTime(json.State.StartedAt!, -1000), until: eventsTime(finished, lagAllowance(finished)), filters: { type: ['container'], container: [json.Id] }, abortSignal }),
        { timeoutMs: apiTimeoutMs, what: `the events of "${json.Name}"`, where, abort, cancelOnAbort: true },
      );
      let text = '';
      for await (const chunk of stream) text += chunk.toString();
      for (const line of text.split('\n')) {
        try {
          if (line.trim()) events.push(JSON.parse(line) as DockerEventJson);
        } catch {
          log.warn({ container: json.Name }, 'skipped a Docker event that was not JSON');
        }
      }
    }
    const verdict = decideOperatorStop(json, events, oursFinishedAt.get(json.Id) === finished);
    log.debug({ container: json.Name, rule: verdict.rule, byOperator: verdict.byOperator }, 'stop verdict');
    if (verdicts.size >= VERDICTS_KEPT) verdicts.delete(verdicts.keys().next().value!);
    verdicts.set(key, verdict.byOperator);
    return verdict.byOperator;
  }

  const markOurs = (containerId: string) => {
    clock.clearTimeout(ours.get(containerId));
    ours.set(containerId, undefined);
  };
  // The engine logs every event of a restart before it answers, but the event stream may deliver them later:
  // while a stream is open the mark stays until its `restart` event (or a few seconds, when the restart failed).
  const releaseOurs = (containerId: string) => {
    if (!ours.has(containerId)) return; // its `restart` event came first
    clock.clearTimeout(ours.get(containerId));
    if (stream) ours.set(containerId, clock.setTimeout(() => ours.delete(containerId), OURS_GRACE_MS));
    else ours.delete(containerId);
  };

  // Live events: a stopping kill that is not ours makes the die and stop after it a person's, until a start.
  const listeners = new Set<(event: RuntimeEvent) => void>();
  const stoppedByPerson = new Set<string>();
  let stream: { close(): void } | undefined;
  const onEngineEvent = (raw: DockerEventJson) => {
    const containerId = raw.Actor?.ID ?? '';
    const mine = ours.has(containerId);
    if (raw.Action === 'kill' && !mine && isStoppingKillEvent(raw)) stoppedByPerson.add(containerId);
    if (raw.Action === 'start') stoppedByPerson.delete(containerId);
    if (raw.Action === 'restart' && mine) {
      clock.clearTimeout(ours.get(containerId));
      ours.delete(containerId);
    }
    const event = runtimeEventOf(raw, !mine && (raw.Action === 'kill' || raw.Action === 'die' || raw.Action === 'stop') && stoppedByPerson.has(containerId));
    if (!event) return;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        log.error({ err: errorFields(error), container: event.id }, 'a runtime watcher threw');
      }
    }
  };

  return {
    kind: 'docker',
    async inspect(id, opts) {
      const json = await inspectJson(id, opts?.abort);
      if (!json) return { id, state: 'missing', startedAt: null, exitCode: null, stoppedByOperator: false, restartCount: null };
      if (restarting.has(id)) {
        return { ...runtimeInfoOf(id, json, false), state: 'restarting', exitCode: null };
      }
      const ended = json.State.Status === 'exited' || json.State.Status === 'dead';
      return runtimeInfoOf(id, json, ended && (await operatorStopped(json, opts?.abort)));
    },
    restart(id, opts: RestartOptions) {
      if (opts.abort?.aborted) return Promise.reject(opts.abort.reason);
      if (restarting.has(id)) return Promise.reject(busy(id, 'restarting'));
      restarting.add(id);
      const work = (async () => {
        let containerId: string | undefined;
        try {
          const json = await inspectJson(id);
          if (!json) throw unknownWorkload(id, 'container');
          if (json.State.Paused) throw busy(id, 'paused');
          if (json.State.Restarting) throw busy(id, 'restarting');
          containerId = json.Id;
          markOurs(containerId);
          const t = Math.ceil(opts.stopTimeoutMs / 1000);
          const c = await getClient();
          await engineCall((abortSignal) => c.getContainer(json.Id).restart({ t, ...(opts.signal && opts.signal !== 'SIGTERM' ? { signal: opts.signal } : {}), abortSignal }), {
            timeoutMs: t * 1000 + startTimeoutMs,
            what: `restart of "${id}"`,
            where,
          });
          log.info({ container: id, t }, 'container restarted');
        } catch (error) {
          if (containerId) {
            const after = await inspectJson(containerId).catch(() => undefined);
            if (after?.State.FinishedAt) {
              oursFinishedAt.set(containerId, after.State.FinishedAt);
              verdicts.delete(`${containerId}@${after.State.FinishedAt}`);
            }
          }
          throw error;
        } finally {
          restarting.delete(id);
          if (containerId) releaseOurs(containerId);
        }
      })();
      return abortable(work, opts.abort);
    },
    watch(listener) {
      listeners.add(listener);
      stream ??= openEventStream({ client: getClient, clock, log, where, onEvent: onEngineEvent });
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          stream?.close();
          stream = undefined;
        }
      };
    },
    async close() {
      listeners.clear();
      stream?.close();
      stream = undefined;
      for (const timer of ours.values()) clock.clearTimeout(timer);
    },
  };
}
