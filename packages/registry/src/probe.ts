import { isAetherError, systemClock, traceHeaders, type Clock } from '@aetherlink/core';
import { request, type Dispatcher } from 'undici';
import type { ProbeResult } from './types.js';

export interface ProbeOptions {
  dispatcher: Dispatcher;
  /**
   * Where the one retry goes after the connection closed before any answer: a dispatcher whose every connection
   * is new (the checker's keeps none idle), so the retry cannot land on another stale socket. Default: `dispatcher`.
   */
  retryDispatcher?: Dispatcher;
  /** Deadline for the whole answer, body included. */
  timeoutMs: number;
  clock?: Clock;
  /** Read and parse the body as JSON (for a body condition); otherwise it is discarded. A function decides by the status code. */
  readBody?: boolean | ((statusCode: number) => boolean);
  /** With `readBody`, also hand back the body's text (bounded like the body), e.g. to spot a "shutting down" answer that is not JSON. */
  keepText?: boolean;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const DEFAULT_MAX_BODY = 64 * 1024;
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);
const STALE_SOCKET_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

class ProbeTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
}

/** A failure after the answer began: the server took the request, so it is reported, never retried. */
class AnswerCut extends Error {
  constructor(override readonly cause: unknown) {
    super('the answer was cut short');
  }
}

/**
 * GETs a health URL once and reports what came back, never throwing: status code, latency, and the JSON body
 * when asked. Redirects are not followed: a 3xx is the answer. A connection that closes before any answer (a
 * reused keep-alive socket the server closed as the probe picked it up) is tried once more at once, on a new
 * connection, as browsers do; a timeout, a refusal or an answer cut short is not.
 * @example const result = await probe('http://api:8080/ping', { dispatcher: new Agent(), timeoutMs: 2000 })
 */
export async function probe(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const clock = options.clock ?? systemClock;
  const controller = new AbortController();
  const outer = options.signal;
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = clock.setTimeout(() => controller.abort(new ProbeTimeout(options.timeoutMs)), options.timeoutMs);
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const dispatcher = attempt === 1 ? options.dispatcher : (options.retryDispatcher ?? options.dispatcher);
        return { ...(await once(url, options, dispatcher, controller.signal, attempt > 1)), latencyMs: elapsed() };
      } catch (error) {
        if (attempt === 1 && !controller.signal.aborted && !(error instanceof AnswerCut) && STALE_SOCKET_CODES.has(codeOf(error))) continue;
        return { statusCode: null, latencyMs: elapsed(), error: describe(error, controller.signal, options.timeoutMs) };
      }
    }
  } finally {
    clock.clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}

async function once(url: string, options: ProbeOptions, dispatcher: Dispatcher, signal: AbortSignal, fresh: boolean): Promise<Omit<ProbeResult, 'latencyMs'>> {
  const res = await request(url, {
    method: 'GET',
    dispatcher,
    signal,
    // The retry's connection closes after its answer, so the retry dispatcher never holds an idle (stale) one.
    ...(fresh ? { reset: true } : {}),
    // A probe asked for by a traced request (GET /ops/health?fresh=true) carries its trace.
    headers: traceHeaders({ accept: 'application/json, */*;q=0.5', 'user-agent': 'aetherlink-registry', ...options.headers }),
    // A real-time backstop beside the clock's deadline, which a manual clock in tests may never reach.
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  try {
    return await answer(res, options);
  } catch (error) {
    throw new AnswerCut(error);
  }
}

async function answer(res: Dispatcher.ResponseData, options: ProbeOptions): Promise<Omit<ProbeResult, 'latencyMs'>> {
  const wanted = typeof options.readBody === 'function' ? options.readBody(res.statusCode) : options.readBody;
  if (!wanted || res.statusCode === 429) {
    await res.body.dump({ limit: options.maxBodyBytes ?? DEFAULT_MAX_BODY });
    return { statusCode: res.statusCode, error: null };
  }
  const read = await readBounded(res, options.maxBodyBytes ?? DEFAULT_MAX_BODY);
  if ('bodyError' in read) return { statusCode: res.statusCode, error: null, bodyError: read.bodyError };
  const text = options.keepText ? { text: read.text } : {};
  try {
    return { statusCode: res.statusCode, error: null, body: JSON.parse(read.text) as unknown, ...text };
  } catch {
    return { statusCode: res.statusCode, error: null, bodyError: 'the body is not JSON', ...text };
  }
}

async function readBounded(res: Dispatcher.ResponseData, max: number): Promise<{ text: string } | { bodyError: string }> {
  const tooBig = () => {
    res.body.destroy();
    return { bodyError: `the body is over ${max} bytes` };
  };
  const header = res.headers['content-length'];
  if (typeof header === 'string' && /^\d+$/.test(header)) {
    // undici holds the body to its declared length, so once that fits it can be read whole (the fast path).
    return Number(header) > max ? tooBig() : { text: await res.body.text() };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) return tooBig();
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8') };
}

function codeOf(error: unknown): string {
  const e = (error instanceof AnswerCut ? error.cause : error) as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : '';
}

function describe(error: unknown, signal: AbortSignal, timeoutMs: number): string {
  if (signal.aborted && signal.reason instanceof ProbeTimeout) return signal.reason.message;
  if (signal.aborted) return 'the probe was cancelled';
  // The egress policy's refusal says why in words for the operator (never the probe's answer: there was none).
  const refusal = [error, (error as { cause?: unknown } | null)?.cause].find((e) => isAetherError(e) && e.code === 'egress_refused');
  if (refusal) return (refusal as Error).message;
  const code = codeOf(error);
  if (TIMEOUT_CODES.has(code)) return `no answer within ${timeoutMs} ms`;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (STALE_SOCKET_CODES.has(code)) return error instanceof AnswerCut ? 'the connection closed in the middle of the answer' : 'the connection closed before an answer';
  const inner = error instanceof AnswerCut ? error.cause : error;
  const message = inner instanceof Error ? inner.message : String(inner);
  return code ? `${message} (${code})` : message;
}
