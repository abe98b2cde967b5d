import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SseChannel, SseLimits, SseMessage, SseResult } from '@aetherlink/core';
import { DEFAULT_WRITES_PER_SECOND, streamWriter } from './sse-schedule.js';

const DEFAULTS = { maxQueuedMessages: 1000, maxQueuedBytes: 1024 * 1024, heartbeatMs: 15_000, writesPerSecond: DEFAULT_WRITES_PER_SECOND };

// A message sent to many streams (an event fanned out) is formatted once; the last one is at hand without a lookup.
const formatted = new WeakMap<SseMessage, string>();
let lastMessage: SseMessage | undefined;
let lastFrame = '';
const frameOf = (message: SseMessage) => {
  if (message === lastMessage) return lastFrame;
  let frame = formatted.get(message);
  if (frame === undefined) formatted.set(message, (frame = formatSse(message)));
  lastMessage = message;
  lastFrame = frame;
  return frame;
};

const FLUSH_AT = 64 * 1024;

/**
 * Formats one message in the text/event-stream format; multi-line data is split as the spec asks.
 * @example formatSse({ id: '7', data: '{"a":1}' }) // 'id: 7\ndata: {"a":1}\n\n'
 */
export function formatSse(message: SseMessage): string {
  let out = '';
  if (message.id !== undefined) out += `id: ${message.id.replace(/[\r\n]/g, '')}\n`;
  if (message.event !== undefined) out += `event: ${message.event.replace(/[\r\n]/g, '')}\n`;
  for (const line of message.data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/**
 * Runs an SseResult over a raw Node response: one bounded queue per client, heartbeats, and cleanup on
 * disconnect. A client that falls further behind than the limits is disconnected rather than letting memory
 * grow; it reconnects with Last-Event-ID and the route replays what it missed.
 * @example await pumpSse(req.raw, reply.raw, result, {})
 */
export async function pumpSse(
  req: IncomingMessage,
  res: ServerResponse,
  result: SseResult,
  limits: SseLimits = {},
  headers: Record<string, string> = {},
): Promise<void> {
  const { maxQueuedMessages, maxQueuedBytes, heartbeatMs, writesPerSecond } = { ...DEFAULTS, ...limits };
  const controller = new AbortController();
  // Chunks waiting for the socket to drain, with how many messages each holds (a paced write holds several).
  const queue: string[] = [];
  const counts: number[] = [];
  let queuedBytes = 0;
  let queuedMessages = 0;
  let blocked = false;
  let closed = false;

  const close = (reason: string) => {
    if (closed) return;
    // What this turn wrote has not reached the socket yet: it goes before the end, as if written at once.
    const last = blocked ? '' : out;
    out = '';
    closed = true;
    writer.done();
    clearInterval(heartbeat);
    queue.length = 0;
    counts.length = 0;
    controller.abort(new Error(reason));
    if (!res.writableEnded) res.end(last === '' || res.destroyed ? undefined : last);
  };

  const tooSlow = () => {
    closed = true;
    writer.done();
    clearInterval(heartbeat);
    queue.length = 0;
    counts.length = 0;
    controller.abort(new Error('client too slow'));
    res.destroy();
  };
  const enqueue = (chunk: string, messages: number) => {
    queue.push(chunk);
    counts.push(messages);
    queuedBytes += Buffer.byteLength(chunk);
    queuedMessages += messages;
    if (queuedMessages > maxQueuedMessages || queuedBytes > maxQueuedBytes) tooSlow();
  };
  let out = '';
  let outMessages = 0;
  const flush = () => {
    if (closed || out === '') return;
    const chunk = out;
    const messages = outMessages;
    out = '';
    outMessages = 0;
    writer.wrote();
    if (blocked) enqueue(chunk, messages);
    else if (!res.write(chunk)) blocked = true;
  };
  const writer = streamWriter(flush, writesPerSecond);
  const write = (chunk: string) => {
    if (closed) return;
    if (blocked) return enqueue(chunk, 1);
    out += chunk;
    outMessages++;
    // A burst within one turn is written as it grows, so the queue limits apply to it as to any other.
    if (out.length >= FLUSH_AT) return flush();
    writer.due();
  };

  res.on('drain', () => {
    blocked = false;
    while (queue.length && !blocked) {
      const chunk = queue.shift()!;
      queuedBytes -= Buffer.byteLength(chunk);
      queuedMessages -= counts.shift()!;
      if (!res.write(chunk)) blocked = true;
    }
  });
  res.once('close', () => close('client disconnected'));

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...headers,
  });
  res.flushHeaders();
  write('retry: 3000\n: connected\n\n');
  const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();

  const lastEventId = req.headers['last-event-id'];
  const channel: SseChannel = {
    send: (message) => write(frameOf(message)),
    close: () => close('closed by the server'),
    signal: controller.signal,
    lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined,
  };
  try {
    await result.open(channel);
  } catch (error) {
    write(formatSse({ event: 'error', data: JSON.stringify({ code: 'internal', detail: 'the stream failed on the server' }) }));
    close('stream failed');
    throw error;
  }
}
