import { parseRetryAfter } from '@aetherlink/core';
import type { FailureKind } from './types.js';

/** A failed HTTP answer, classified: what kind of failure, a message for people, and the wait asked for. */
export interface HttpFailure {
  kind: FailureKind;
  message: string;
  retryAfterMs?: number;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const RETRYABLE: ReadonlySet<FailureKind> = new Set(['rate_limited', 'overloaded', 'server_error', 'timeout', 'connection', 'stream_error']);
// A caller's cancellation, a rejection we made ourselves, or a request the provider rightly refused says
// nothing about the provider's health.
const NOT_COUNTED: ReadonlySet<FailureKind> = new Set(['bad_request', 'breaker_open', 'cancelled']);

/**
 * Whether a failure of this kind is worth another try on the same provider.
 * @example isRetryable('overloaded') // true
 */
export function isRetryable(kind: FailureKind): boolean {
  return RETRYABLE.has(kind);
}

/**
 * Whether a failure of this kind counts against the provider (breaker window, failed_calls).
 * @example countsAsFailure('bad_request') // false
 */
export function countsAsFailure(kind: FailureKind): boolean {
  return !NOT_COUNTED.has(kind);
}

const QUOTA_CODES = new Set([
  'insufficient_quota',
  'billing_hard_limit_reached',
  'billing_not_active',
  'credit_balance_exhausted',
  'enforced_spend_limit_reached',
  'billing_error',
]);
const QUOTA_MESSAGE = /specified (?:workspace )?API usage limits|credit balance is too low|exceeded your current quota|spend limit/i;

interface ErrorBody {
  error?: string | { message?: unknown; type?: unknown; code?: unknown; details?: { error_code?: unknown } };
  message?: unknown;
}

function parseBody(text: string): ErrorBody | undefined {
  if (!text || text[0] !== '{') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as ErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

function describe(body: ErrorBody | undefined, text: string): { message: string; type?: string; code?: string } {
  const error = body?.error;
  if (typeof error === 'string') return { message: error };
  if (error && typeof error === 'object') {
    return {
      message: typeof error.message === 'string' ? error.message : JSON.stringify(error).slice(0, 300),
      ...(typeof error.type === 'string' ? { type: error.type } : {}),
      ...(typeof error.code === 'string' ? { code: error.code } : typeof error.details?.error_code === 'string' ? { code: error.details.error_code } : {}),
    };
  }
  if (typeof body?.message === 'string') return { message: body.message };
  const trimmed = text.trim().replace(/\s+/g, ' ');
  return { message: trimmed ? trimmed.slice(0, 300) : 'no body' };
}

function isQuota(info: { message: string; type?: string; code?: string }): boolean {
  return (info.code !== undefined && QUOTA_CODES.has(info.code)) || (info.type !== undefined && QUOTA_CODES.has(info.type)) || QUOTA_MESSAGE.test(info.message);
}

/**
 * Classifies a non-2xx answer of any of the three wire formats. Quota and spend-limit answers (OpenAI
 * `insufficient_quota`, Anthropic `enforced_spend_limit_reached` or "API usage limits") are `quota_exhausted`.
 * @example classifyStatus(429, '{"error":{"code":"insufficient_quota"}}', {}, Date.now()).kind // 'quota_exhausted'
 */
export function classifyStatus(status: number, bodyText: string, headers: Headers, now: number): HttpFailure {
  const info = describe(parseBody(bodyText), bodyText);
  const retryAfterMs = parseRetryAfter(headers, now);
  const label = [String(status), info.type ?? info.code].filter(Boolean).join(' ');
  const message = `${label}: ${info.message}`;
  const out = (kind: FailureKind): HttpFailure => (retryAfterMs === undefined ? { kind, message } : { kind, message, retryAfterMs });
  if (status === 402 || ((status === 429 || status === 400 || status === 403) && isQuota(info))) return out('quota_exhausted');
  if (status === 429) return out('rate_limited');
  if (status === 529 || status === 503) return out('overloaded');
  if (status === 408) return out('timeout');
  if (status >= 500 || status === 409) return out('server_error');
  if (status === 401 || status === 403) return out('auth');
  if (status === 404) return out('not_found');
  return out('bad_request');
}

// Retry-After is read by core's parser, shared with the webhook sender.
export { parseRetryAfter };

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const CONNECTION_CODES = new Set([
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Classifies a transport error (undici or Node socket codes); undefined when it is not one.
 * @example classifyNetworkError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))?.kind // 'connection'
 */
export function classifyNetworkError(error: unknown): HttpFailure | undefined {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const detail = (e as { message?: unknown }).message;
    const message = `${code}${typeof detail === 'string' && detail ? `: ${detail}` : ''}`;
    if (TIMEOUT_CODES.has(code)) return { kind: 'timeout', message };
    if (CONNECTION_CODES.has(code)) return { kind: 'connection', message };
  }
  return undefined;
}
