// @ts-check
import { followStream } from './sse.js';

/** @typedef {import('./types.js').PublicEvent} PublicEvent */
/** @typedef {import('./sse.js').StreamStatus} StreamStatus */

/**
 * The dashboard's one live stream of events, shared by every panel that follows it.
 * @typedef {object} LiveEvents
 * @property {(listener: (event: PublicEvent) => void) => () => void} subscribe
 * @property {(listener: (status: StreamStatus, detail?: string) => void) => () => void} onStatus Called at once with the current status.
 * @property {() => void} stop
 */

/**
 * Opens `/events/stream` with the credentials of `headers()` and fans its events out; resumes with
 * Last-Event-ID after a drop.
 * @param {() => Record<string, string>} headers
 * @returns {LiveEvents}
 * @example const live = liveEvents(api.headers); const off = live.subscribe((e) => render(e))
 */
export function liveEvents(headers) {
  /** @type {Set<(event: PublicEvent) => void>} */
  const listeners = new Set();
  /** @type {Set<(status: StreamStatus, detail?: string) => void>} */
  const watchers = new Set();
  /** @type {[StreamStatus, string | undefined]} */
  let current = ['connecting', undefined];
  const controller = new AbortController();
  void followStream({
    url: () => '/events/stream',
    headers,
    signal: controller.signal,
    onStatus(status, detail) {
      current = [status, detail];
      for (const watch of watchers) watch(status, detail);
    },
    onMessage(message) {
      /** @type {PublicEvent} */
      const event = JSON.parse(message.data);
      for (const listener of listeners) listener(event);
    },
  });
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onStatus(watch) {
      watchers.add(watch);
      watch(...current);
      return () => watchers.delete(watch);
    },
    stop: () => controller.abort(),
  };
}
