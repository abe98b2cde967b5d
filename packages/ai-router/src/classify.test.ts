import { describe, expect, it } from 'vitest';
import { classifyNetworkError, classifyStatus, countsAsFailure, isRetryable, parseRetryAfter } from './classify.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('classifyStatus', () => {
  it.each([
    [429, 'rate_limited'],
    [500, 'server_error'],
    [502, 'server_error'],
    [503, 'overloaded'],
    [504, 'server_error'],
    [529, 'overloaded'],
    [408, 'timeout'],
    [400, 'bad_request'],
    [422, 'bad_request'],
    [401, 'auth'],
    [403, 'auth'],
    [404, 'not_found'],
    [402, 'quota_exhausted'],
  ] as const)('%i is %s', (status, kind) => {
    expect(classifyStatus(status, '', {}, NOW).kind).toBe(kind);
  });

  it('retries 429, 5xx, 529, timeouts and resets, and nothing a client got wrong', () => {
    for (const kind of ['rate_limited', 'server_error', 'overloaded', 'timeout', 'connection'] as const) expect(isRetryable(kind)).toBe(true);
    for (const kind of ['bad_request', 'auth', 'not_found', 'quota_exhausted', 'invalid_output', 'invalid_response', 'breaker_open', 'cancelled'] as const) {
      expect(isRetryable(kind)).toBe(false);
    }
  });

  it('does not hold cancellations, breaker rejections or bad requests against a provider', () => {
    expect(countsAsFailure('cancelled')).toBe(false);
    expect(countsAsFailure('breaker_open')).toBe(false);
    expect(countsAsFailure('bad_request')).toBe(false);
    expect(countsAsFailure('invalid_output')).toBe(true);
    expect(countsAsFailure('auth')).toBe(true);
  });

  it('tells OpenAI insufficient_quota from a rate limit', () => {
    const body = JSON.stringify({ error: { message: 'You exceeded your current quota', type: 'insufficient_quota', code: 'insufficient_quota' } });
    expect(classifyStatus(429, body, {}, NOW)).toMatchObject({ kind: 'quota_exhausted' });
    const limit = JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } });
    expect(classifyStatus(429, limit, { 'retry-after': '3' }, NOW)).toEqual({ kind: 'rate_limited', message: '429 requests: Rate limit reached for requests', retryAfterMs: 3000 });
  });

  it('tells Anthropic spend limits from rate limits, both as 429 and as 400', () => {
    const spend = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'spend cap', details: { error_code: 'enforced_spend_limit_reached' } } });
    expect(classifyStatus(429, spend, {}, NOW).kind).toBe('quota_exhausted');
    const usage = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'You have reached your specified API usage limits. You will regain access on 2026-02-01.' } });
    expect(classifyStatus(400, usage, {}, NOW).kind).toBe('quota_exhausted');
    const plain = JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } });
    expect(classifyStatus(429, plain, { 'retry-after': '12' }, NOW)).toMatchObject({ kind: 'rate_limited', retryAfterMs: 12_000 });
    expect(classifyStatus(529, JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), {}, NOW)).toMatchObject({
      kind: 'overloaded',
      message: '529 overloaded_error: Overloaded',
    });
  });

  it('reads Ollama error strings and bodies that are not JSON', () => {
    expect(classifyStatus(404, '{"error":"model \'llama9\' not found"}', {}, NOW)).toEqual({ kind: 'not_found', message: "404: model 'llama9' not found" });
    expect(classifyStatus(502, '<html>Bad Gateway</html>', {}, NOW).message).toBe('502: <html>Bad Gateway</html>');
    expect(classifyStatus(500, '', {}, NOW).message).toBe('500: no body');
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds, an HTTP date and OpenAI retry-after-ms', () => {
    expect(parseRetryAfter({ 'retry-after': '2' }, NOW)).toBe(2000);
    expect(parseRetryAfter({ 'retry-after': '0.5' }, NOW)).toBe(500);
    expect(parseRetryAfter({ 'retry-after': new Date(NOW + 30_000).toUTCString() }, NOW)).toBe(30_000);
    expect(parseRetryAfter({ 'retry-after-ms': '150', 'retry-after': '9' }, NOW)).toBe(150);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, NOW)).toBeUndefined();
    expect(parseRetryAfter({}, NOW)).toBeUndefined();
  });
});

describe('classifyNetworkError', () => {
  it('reads undici and socket codes, also from a cause', () => {
    expect(classifyNetworkError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))?.kind).toBe('connection');
    expect(classifyNetworkError(Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))?.kind).toBe('timeout');
    expect(classifyNetworkError(new Error('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }))?.kind).toBe('connection');
    expect(classifyNetworkError(new Error('boom'))).toBeUndefined();
  });
});
