// @ts-check
// Server-Sent Events over fetch: EventSource cannot send the credentials headers, so the stream is read here,
// and resumed after a drop with Last-Event-ID so the server replays what was missed meanwhile.

/** @typedef {{ id?: string, event?: string, data: string }} SseMessage */
/** @typedef {'connecting' | 'live' | 'reconnecting' | 'denied' | 'closed'} StreamStatus */

/**
 * A parser for the text/event-stream format: feed it decoded chunks, it calls `onMessage` per dispatched event.
 * Handles LF, CRLF and CR line ends, comments, `data` over several lines and `id`.
 * @param {(message: SseMessage) => void} onMessage
 * @returns {{ push(chunk: string): void }}
 * @example const p = sseParser((m) => console.log(m.data)); p.push('data: 1\n\n')
 */
export function sseParser(onMessage) {
  let buffer = '';
  /** @type {string[]} */
  let data = [];
  /** @type {string | undefined} */
  let id;
  /** @type {string | undefined} */
  let event;
  /** @param {string} line */
  const line = (line) => {
    if (line === '') {
      if (data.length) onMessage({ data: data.join('\n'), ...(id !== undefined ? { id } : {}), ...(event !== undefined ? { event } : {}) });
      data = [];
      event = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'event') event = value;
  };
  return {
    push(chunk) {
      buffer += chunk;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
        if (!match || (match[0] === '\r' && match.index === buffer.length - 1)) break;
        line(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    },
  };
}

/**
 * @typedef {object} FollowOptions
 * @property {() => string} url Read at every (re)connect, so a changed filter applies on the next one.
 * @property {() => Record<string, string>} headers The credentials, read at every (re)connect.
 * @property {(message: SseMessage) => void} onMessage
 * @property {(status: StreamStatus, detail?: string) => void} [onStatus]
 * @property {AbortSignal} signal Stops following.
 * @property {string} [lastEventId] Resume after this id from the first connect on.
 * @property {number} [minRetryMs] First wait before reconnecting (doubles up to `maxRetryMs`). Default 500.
 * @property {number} [maxRetryMs] Default 10 000.
 */

/**
 * Follows a stream until `signal` aborts or the server refuses the credentials (401/403): reconnects after a
 * drop with backoff, sending the last id seen as `Last-Event-ID`. Resolves when it stops.
 * @param {FollowOptions} options
 * @returns {Promise<void>}
 * @example await followStream({ url: () => '/events/stream', headers: () => auth, onMessage, signal })
 */
export async function followStream(options) {
  const { signal, onMessage } = options;
  const status = options.onStatus ?? (() => undefined);
  const minRetry = options.minRetryMs ?? 500;
  const maxRetry = options.maxRetryMs ?? 10_000;
  let lastEventId = options.lastEventId;
  let retry = minRetry;
  let first = true;
  while (!signal.aborted) {
    status(first ? 'connecting' : 'reconnecting');
    first = false;
    try {
      const headers = { accept: 'text/event-stream', ...options.headers(), ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) };
      const res = await fetch(options.url(), { headers, signal, cache: 'no-store' });
      if (res.status === 401 || res.status === 403) {
        const body = await res.json().catch(() => null);
        status('denied', `${res.status}: ${body?.detail ?? res.statusText}`);
        return;
      }
      if (!res.ok || !res.body) throw new Error(`the stream answered ${res.status}`);
      status('live');
      retry = minRetry;
      const parser = sseParser((message) => {
        if (message.id !== undefined) lastEventId = message.id;
        onMessage(message);
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.push(value);
      }
    } catch {
      if (signal.aborted) break;
    }
    if (signal.aborted) break;
    status('reconnecting');
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, retry);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve(undefined)), { once: true });
    });
    retry = Math.min(retry * 2, maxRetry);
  }
  status('closed');
}
