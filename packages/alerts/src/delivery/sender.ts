import { StringDecoder } from 'node:string_decoder';
import {
  createEgressPolicy,
  isAetherError,
  parseRetryAfter,
  parseTraceparent,
  runInSpan,
  runWithTrace,
  startSpan,
  systemClock,
  traceHeaders,
  type Clock,
  type DeliveryRecord,
  type EgressPolicy,
  type TraceContext,
} from '@aetherlink/core';
import { Agent, request, type Dispatcher } from 'undici';
import { egressConnector } from '../_internal/egress-connector.js';
import type { SendResult } from './schedule.js';
import { webhookHeaders } from './signing.js';

/** How much of an answer's body an attempt keeps. */
export const MAX_RESPONSE_BYTES = 20 * 1024;

// Stored headers may add to a request but never replace what receivers verify and parse, nor the ones that frame
// the request itself. The stored trace headers name the parent of the attempt's span; the span's own are sent.
const RESERVED = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'user-agent', 'host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'traceparent', 'tracestate']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

export interface WebhookSenderOptions {
  /** Judges every target at connect time. Default: a policy that refuses private and loopback addresses. */
  egress?: EgressPolicy;
  /** Deadline of one attempt, answer included. Default 10 000 ms. */
  timeoutMs?: number;
  userAgent?: string;
  /** Dates `webhook-timestamp` and reads Retry-After dates. */
  clock?: Clock;
  /** Default 20 KB. */
  maxResponseBytes?: number;
  /** Where requests go; default an Agent whose connections are judged by `egress`. */
  dispatcher?: Dispatcher;
}

export interface WebhookSender {
  /** POSTs one delivery, signed with `key` when there is one; never throws. */
  send(delivery: DeliveryRecord, key: Buffer | null, signal: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
}

/**
 * Sends deliveries as Standard Webhooks: a JSON POST with `webhook-id`, `webhook-timestamp` and (with a key)
 * `webhook-signature`; 2xx is success, 410 means the endpoint is gone, Retry-After is passed on, redirects are
 * never followed, and every connection is judged by the egress policy at connect time.
 * @example const sender = createWebhookSender({ egress: createEgressPolicy({ allowPrivate: true }) })
 */
export function createWebhookSender(options: WebhookSenderOptions = {}): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clock = options.clock ?? systemClock;
  const max = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const userAgent = options.userAgent ?? 'AetherLink-Webhooks/1';
  const own = options.dispatcher
    ? undefined
    : new Agent({ connect: egressConnector(options.egress ?? createEgressPolicy(), { timeout: timeoutMs }), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const dispatcher = options.dispatcher ?? own!;

  return {
    send(delivery, key, signal) {
      const body = JSON.stringify(delivery.payload ?? null);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      for (const [name, value] of Object.entries(delivery.headers)) if (!RESERVED.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
      Object.assign(headers, { 'user-agent': userAgent }, webhookHeaders({ key, id: delivery.webhook_id, now: clock.now(), body }));
      const lower = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k.toLowerCase(), v]));
      const parent = parseTraceparent(lower.traceparent, lower.tracestate);
      return parent ? traced(delivery, parent, () => post(delivery, traceHeaders(headers), body, signal)) : post(delivery, headers, body, signal);
    },
    async close() {
      await own?.close();
    },
  };

  async function post(delivery: DeliveryRecord, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<SendResult> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const started = performance.now();
    const latencyMs = () => Math.round((performance.now() - started) * 100) / 100;
    try {
      const res = await request(delivery.endpoint, {
        method: 'POST',
        dispatcher,
        headers,
        body,
        signal: AbortSignal.any([signal, deadline]),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const responseBody = hideUrlSecrets(await readBounded(res.body, max), delivery.endpoint);
      const status = res.statusCode;
      if (status >= 200 && status < 300) return { ok: true, status, responseBody, latencyMs: latencyMs() };
      const retryAfter = parseRetryAfter(res.headers, clock.now());
      return {
        ok: false,
        status,
        error: status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`,
        responseBody,
        latencyMs: latencyMs(),
        ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
        ...(status === 410 ? { gone: true } : {}),
      };
    } catch (error) {
      if (signal.aborted) return { ok: false, status: null, aborted: true, error: 'shutting down', latencyMs: latencyMs() };
      const refusal = [error, (error as { cause?: unknown }).cause].find(isAetherError);
      if (refusal?.code === 'egress_refused') return { ok: false, status: null, refused: true, error: `egress refused: ${refusal.message}`, latencyMs: latencyMs() };
      return { ok: false, status: null, error: describe(error, deadline.aborted, timeoutMs), latencyMs: latencyMs() };
    }
  }
}

/**
 * A receiver's answer with the parts of its URL that routes never show (the path after its first segment, the query)
 * cut out: receivers echo the path they were called at, and webhook URLs carry their token there.
 */
function hideUrlSecrets(body: string | null, endpoint: string): string | null {
  if (!body || !URL.canParse(endpoint)) return body;
  const url = new URL(endpoint);
  const [, ...rest] = url.pathname.split('/').filter(Boolean);
  const hidden = [rest.join('/'), ...rest, url.search.slice(1), ...url.searchParams.values()].map((p) => [p, safeDecode(p)]).flat();
  let out = body;
  for (const part of [...new Set(hidden)].filter((p) => p.length >= 6).sort((a, b) => b.length - a.length)) out = out.split(part).join('…');
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Runs one attempt as a client span under the trace its delivery was queued in (`webhook deliver`), so the
 * receiver's `traceparent` continues that trace; without a tracer provider the attempt carries the stored context.
 */
async function traced(delivery: DeliveryRecord, parent: TraceContext, attempt: () => Promise<SendResult>): Promise<SendResult> {
  const url = URL.canParse(delivery.endpoint) ? new URL(delivery.endpoint) : null;
  // Host and port only: webhook URLs carry tokens in their paths.
  const span = startSpan('webhook deliver', {
    kind: 'client',
    parent,
    attributes: {
      'http.request.method': 'POST',
      'server.address': url?.hostname,
      'server.port': url ? Number(url.port || (url.protocol === 'https:' ? 443 : 80)) : undefined,
      'aetherlink.delivery.id': delivery.id,
      'aetherlink.webhook.id': delivery.webhook_id,
      'aetherlink.delivery.attempt': delivery.attempts + 1,
    },
  });
  if (span === undefined) return runWithTrace(parent, attempt);
  const result = await runInSpan(span, attempt);
  // No answer at all (a timeout, a reset) fails the span; an HTTP status is recorded as it is (5xx marks it failed).
  span.end(result.ok || result.aborted || result.status !== null ? undefined : new Error(result.error ?? 'no answer'), result.status ?? undefined);
  return result;
}

async function readBounded(body: Dispatcher.ResponseData['body'], max: number): Promise<string | null> {
  const decoder = new StringDecoder('utf8');
  let text = '';
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = max - size;
    text += decoder.write(chunk.length > room ? chunk.subarray(0, room) : chunk);
    size += chunk.length;
    if (size >= max) {
      body.destroy();
      break;
    }
  }
  return size === 0 ? null : text;
}

function describe(error: unknown, timedOut: boolean, timeoutMs: number): string {
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? '';
  if (timedOut || TIMEOUT_CODES.has(code) || (error as Error).name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `the connection was reset (${code})`;
  if (code === 'ECONNREFUSED') return 'the connection was refused (ECONNREFUSED)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host could not be resolved (${code})`;
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${message} (${code})` : message;
}
