import { parseRetryAfter, systemClock, type Clock } from '@aetherlink/core';
import { Agent, request } from 'undici';

/** How a send to the command center ended. */
export type SendOutcome =
  | { ok: true; duplicate: boolean }
  /** `permanent`: sending the same event again cannot succeed (the command center refused it as invalid). */
  | { ok: false; permanent: boolean; error: string; retryAfterMs?: number };

export interface CommandCenterClientOptions {
  /** The command center's base URL. */
  url: string;
  /** Bearer token; without one the client sends `X-User-Roles: agent`, for a command center in header mode. */
  token?: string;
  /** Per request. Default 5000 ms. */
  timeoutMs?: number;
  clock?: Clock;
}

export interface CommandCenterClient {
  /** `POST /events/publish` with one CloudEvent (structured mode). Never throws. */
  publish(event: Record<string, unknown>, signal?: AbortSignal): Promise<SendOutcome>;
  close(): Promise<void>;
}

/**
 * The CRM's own outbound client to the command center: one keep-alive connection pool, bounded waits, and an
 * answer classified as sent, worth retrying, or refused for good. The token never appears in an error.
 * @example const cc = commandCenterClient({ url: 'http://127.0.0.1:8010' }); await cc.publish(event)
 */
export function commandCenterClient(options: CommandCenterClientOptions): CommandCenterClient {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  const clock = options.clock ?? systemClock;
  const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 4, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : { 'x-user-roles': 'agent' };

  return {
    async publish(event, signal) {
      try {
        const res = await request(`${base}/events/publish`, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/cloudevents+json', ...auth },
          body: JSON.stringify(event),
          signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
        });
        const text = await res.body.text();
        if (res.statusCode >= 200 && res.statusCode < 300) {
          return { ok: true, duplicate: (safeJson(text) as { duplicate?: unknown } | undefined)?.duplicate === true };
        }
        const detail = (safeJson(text) as { detail?: unknown } | undefined)?.detail;
        const error = `the command center answered ${res.statusCode}${typeof detail === 'string' ? `: ${detail.slice(0, 300)}` : ''}`;
        const retryAfterMs = parseRetryAfter(res.headers, clock.now());
        // 401/403 are a credentials or role problem an operator fixes on either side: worth retrying meanwhile.
        const permanent = res.statusCode >= 400 && res.statusCode < 500 && ![401, 403, 408, 425, 429].includes(res.statusCode);
        return retryAfterMs === undefined ? { ok: false, permanent, error } : { ok: false, permanent, error, retryAfterMs };
      } catch (error) {
        return { ok: false, permanent: false, error: describe(error) };
      }
    },
    close: () => dispatcher.close(),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  if (code === 'ECONNREFUSED') return 'the command center refused the connection (is it running?)';
  if ((error as Error).name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'the command center did not answer in time';
  return (error as Error).message ?? String(error);
}
