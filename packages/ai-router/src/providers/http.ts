import { systemClock, traceHeaders, type Clock } from '@aetherlink/core';
import { createParser } from 'eventsource-parser';
import { request, type Dispatcher } from 'undici';
import { asProviderError } from '../_internal/entry.js';
import { classifyStatus } from '../classify.js';
import { ProviderError } from '../errors.js';
import type { ProviderCallContext } from '../types.js';

/** Transport options every HTTP provider accepts. */
export interface HttpTransportOptions {
  /** undici dispatcher (an Agent or Pool) for this provider; default undici's global one. */
  dispatcher?: Dispatcher;
  /** Longest wait for response headers; default the attempt's timeout (undici's own default is 300 s). */
  headersTimeoutMs?: number;
  /** Longest silence while the body arrives; default the stream's idle timeout, else the attempt's timeout. */
  bodyTimeoutMs?: number;
  /** Largest answer body accepted, in bytes. Default 8 MiB. */
  maxBodyBytes?: number;
  /** Reads `retry-after` dates against this clock. */
  clock?: Clock;
}

type BodyReadable = Dispatcher.ResponseData['body'];

export interface OpenResponse {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  body: BodyReadable;
}

const DEFAULT_MAX_BODY = 8 * 1024 * 1024;

/**
 * POSTs JSON with explicit header and body timeouts; answers other than 2xx are classified and thrown.
 * @example const res = await postJson(url, payload, { 'x-api-key': key }, ctx, {})
 */
export async function postJson(
  url: string,
  payload: unknown,
  headers: Record<string, string>,
  context: ProviderCallContext,
  options: HttpTransportOptions,
  stream = false,
): Promise<OpenResponse> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(url, {
      method: 'POST',
      // The call joins the trace of the request (or attempt span) it is made for.
      headers: traceHeaders({ 'content-type': 'application/json', accept: stream ? 'text/event-stream, application/x-ndjson' : 'application/json', ...headers }),
      body: JSON.stringify(payload),
      signal: context.signal,
      headersTimeout: options.headersTimeoutMs ?? context.timeoutMs,
      bodyTimeout: options.bodyTimeoutMs ?? (stream ? (context.idleTimeoutMs ?? context.timeoutMs) : context.timeoutMs),
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  } catch (error) {
    throw transportError(error, context.signal);
  }
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const text = await readText(res.body, context.signal, 64 * 1024).catch(() => '');
    const failure = classifyStatus(res.statusCode, text, res.headers, (options.clock ?? systemClock).now());
    throw new ProviderError(failure.kind, failure.message, {
      status: res.statusCode,
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
    });
  }
  return { status: res.statusCode, headers: res.headers, body: res.body };
}

/**
 * Reads a whole body as text, up to a size; transport failures are classified.
 * @example const text = await readText(res.body, ctx.signal)
 */
export async function readText(body: BodyReadable, signal: AbortSignal, maxBytes = DEFAULT_MAX_BODY): Promise<string> {
  const decoder = new TextDecoder();
  let out = '';
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        body.destroy();
        throw new ProviderError('invalid_response', `the answer is larger than ${maxBytes} bytes`);
      }
      out += decoder.decode(chunk, { stream: true });
    }
  } catch (error) {
    throw transportError(error, signal);
  }
  return out + decoder.decode();
}

/**
 * Reads and parses a JSON body; a body that is not JSON is an `invalid_response`.
 * @example const data = await readJson(res.body, ctx.signal)
 */
export async function readJson(body: BodyReadable, signal: AbortSignal, maxBytes?: number): Promise<unknown> {
  const text = await readText(body, signal, maxBytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new ProviderError('invalid_response', `the answer is not valid JSON: ${excerpt(text)}`);
  }
}

/**
 * Splits a body into lines (LF or CRLF), decoding UTF-8 across chunk boundaries.
 * @example for await (const line of lines(res.body, ctx.signal)) handle(line)
 */
export async function* lines(body: BodyReadable, signal: AbortSignal): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl = buffer.indexOf('\n');
      while (nl !== -1) {
        const line = buffer.charCodeAt(nl - 1) === 13 ? buffer.slice(0, nl - 1) : buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        yield line;
        nl = buffer.indexOf('\n');
      }
    }
  } catch (error) {
    throw transportError(error, signal);
  } finally {
    if (!body.destroyed) body.destroy();
  }
  buffer += decoder.decode();
  if (buffer) yield buffer;
}

/** One Server-Sent Event. */
export interface SseEvent {
  event: string | undefined;
  data: string;
  id: string | undefined;
}

/**
 * Parses a text/event-stream body into events with `eventsource-parser` (LF, CRLF and bare-CR line endings, a
 * leading BOM, comments, `id` and `retry` fields, per the HTML spec), decoding UTF-8 across chunk boundaries.
 * An event the stream ends in the middle of is still delivered, as compatible servers often omit the last blank line.
 * @example for await (const e of sseEvents(res.body, ctx.signal)) if (e.data === '[DONE]') break
 */
export async function* sseEvents(body: BodyReadable, signal: AbortSignal, maxEventLength = DEFAULT_MAX_BODY): AsyncGenerator<SseEvent> {
  const ready: SseEvent[] = [];
  let failure: ProviderError | undefined;
  const parser = createParser({
    onEvent: (e) => void ready.push({ event: e.event, data: e.data, id: e.id }),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') failure = new ProviderError('invalid_response', `a stream event is larger than ${maxEventLength} characters`);
    },
    maxBufferSize: maxEventLength,
  });
  // The parser strips the one BOM the spec allows; the decoder must leave it in place.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  const chunks = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await chunks.next();
      } catch (error) {
        throw transportError(error, signal);
      }
      if (step.done) break;
      parser.feed(decoder.decode(step.value, { stream: true }));
      if (failure) throw failure;
      while (ready.length) yield ready.shift()!;
    }
    // Ends a last line and a last event that the stream left open.
    parser.feed(`${decoder.decode()}\n\n`);
    if (failure) throw failure;
    while (ready.length) yield ready.shift()!;
  } finally {
    if (!body.destroyed) body.destroy();
  }
}

/**
 * Parses one JSON value of a stream; anything else is an `invalid_response`.
 * @example const chunk = parseChunk(event.data)
 */
export function parseChunk(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ProviderError('invalid_response', `a stream chunk is not a JSON object: ${excerpt(text)}`);
}

/** Whatever a request threw, as a ProviderError (one mapping for the router and the providers). */
export const transportError = (error: unknown, signal: AbortSignal): ProviderError => asProviderError(error, signal);

/**
 * Joins a base URL and a path without doubling slashes.
 * @example joinUrl('http://h:1/v1/', '/chat/completions') // 'http://h:1/v1/chat/completions'
 */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function excerpt(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return t.length > 120 ? `${t.slice(0, 120)}…` : t || '(empty)';
}

/** Reads a number field that may be missing. */
export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Builds a Usage when the provider reported any token counts. */
export function usageOf(input: unknown, output: unknown): { input_tokens: number; output_tokens: number; total_tokens: number } | undefined {
  const i = num(input);
  const o = num(output);
  if (i === undefined && o === undefined) return undefined;
  return { input_tokens: i ?? 0, output_tokens: o ?? 0, total_tokens: (i ?? 0) + (o ?? 0) };
}
