import { errorFields, sleep, type Clock, type Logger } from '@aetherlink/core';
import type { DockerClient } from './docker-client.js';
import type { DockerEventJson } from './docker-state.js';

// The engine's container events as one long-lived `GET /events` stream, opened again (from the last event seen,
// so nothing the engine still holds is lost) whenever it drops: the engine restarted, a proxy cut it, the network.

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

export interface EventStreamOptions {
  client: () => Promise<DockerClient>;
  clock: Clock;
  log: Logger;
  where: string;
  onEvent(event: DockerEventJson): void;
}

/**
 * Reads `GET /events` (container events only) from now on until `close()`; reconnects with a growing pause.
 * @example const stream = openEventStream({ client, clock, log, where, onEvent }); stream.close()
 */
export function openEventStream(options: EventStreamOptions): { close(): void } {
  const stop = new AbortController();
  // The engine's `since` is whole seconds plus nanoseconds; events at the boundary are delivered again on a
  // reconnect, so the ones already handed out at the last instant are remembered and skipped.
  let since = (options.clock.now() / 1000).toFixed(3);
  let lastNano = 0;
  let atLast = new Set<string>();
  let retryMs = FIRST_RETRY_MS;
  let failing = false;

  const handle = (event: DockerEventJson) => {
    const nano = event.timeNano ?? (event.time ?? 0) * 1e9;
    const key = `${event.Actor?.ID}:${event.Action}:${event.Actor?.Attributes?.signal ?? ''}`;
    if (nano < lastNano || (nano === lastNano && atLast.has(key))) return;
    if (nano > lastNano) {
      lastNano = nano;
      atLast = new Set();
      since = (Math.floor(nano / 1e6) / 1000).toFixed(3);
    }
    atLast.add(key);
    try {
      options.onEvent(event);
    } catch (error) {
      options.log.error({ err: errorFields(error) }, 'a Docker event handler threw');
    }
  };

  const readOnce = async (): Promise<void> => {
    const client = await options.client();
    const stream = await client.getEvents({ since, filters: { type: ['container'] }, abortSignal: stop.signal });
    if (failing) options.log.info({ engine: options.where }, 'the Docker event stream is back');
    failing = false;
    retryMs = FIRST_RETRY_MS;
    await new Promise<void>((resolve, reject) => {
      let partial = '';
      stream.on('data', (chunk: Buffer | string) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          try {
            handle(JSON.parse(line) as DockerEventJson);
          } catch {
            options.log.warn({ engine: options.where }, 'skipped a Docker event that was not JSON');
          }
        }
      });
      stream.once('end', () => resolve());
      stream.once('close', () => resolve());
      stream.once('error', reject);
    });
  };

  void (async () => {
    while (!stop.signal.aborted) {
      try {
        await readOnce();
        if (stop.signal.aborted) break;
        throw new Error('the engine closed the stream');
      } catch (error) {
        if (stop.signal.aborted) break;
        if (!failing) options.log.warn({ engine: options.where, err: errorFields(error) }, 'the Docker event stream dropped; reconnecting');
        failing = true;
        await sleep(options.clock, retryMs, stop.signal).catch(() => undefined);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    }
  })();

  return { close: () => stop.abort() };
}
