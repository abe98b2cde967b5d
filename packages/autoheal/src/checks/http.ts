import type { Clock } from '@aetherlink/core';
import { evaluateProbe, probe } from '@aetherlink/registry';
import type { Dispatcher } from 'undici';
import type { CheckOutcome, HttpCheck, ResolvedCheck } from '../types.js';

export interface HttpCheckContext {
  dispatcher: Dispatcher;
  retryDispatcher?: Dispatcher;
  clock: Clock;
  drainingMarkers: readonly string[];
  /** Set when the dispatcher is the app's own: the URL is judged by the egress policy before each check. */
  refuse?: (url: string) => Promise<string | null>;
  signal?: AbortSignal;
}

// Bodies are read to judge body paths and spot draining answers; health answers are small.
const MAX_BODY = 16 * 1024;

/**
 * Runs one HTTP check through the registry's prober: status range and body path as the registry judges them,
 * a slow answer over `maxLatencyMs` as a failure, and a 500/503 carrying a draining marker as `draining`.
 * @example await runHttpCheck(check, { dispatcher, clock, drainingMarkers: DEFAULT_DRAINING_MARKERS })
 */
export async function runHttpCheck(check: ResolvedCheck & HttpCheck, ctx: HttpCheckContext): Promise<CheckOutcome> {
  const outcome = (verdict: CheckOutcome['verdict'], health: CheckOutcome['health'], status_code: number | null, latency_ms: number | null, error: string | null): CheckOutcome => ({
    name: check.name, kind: 'http', role: check.role, verdict, health, status_code, latency_ms, error,
  });
  const refused = await ctx.refuse?.(check.url);
  if (refused) return outcome('fail', 'down', null, null, refused);
  const result = await probe(check.url, {
    dispatcher: ctx.dispatcher,
    ...(ctx.retryDispatcher ? { retryDispatcher: ctx.retryDispatcher } : {}),
    clock: ctx.clock,
    timeoutMs: check.timeoutMs,
    // A body condition needs every body; otherwise only a 500 or 503 is read, to tell draining from broken.
    readBody: check.body ? true : (status) => status === 500 || status === 503,
    keepText: true,
    maxBodyBytes: MAX_BODY,
    headers: { 'user-agent': 'aetherlink-autoheal', ...check.headers },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const latency = result.statusCode === null ? null : result.latencyMs;
  if (result.statusCode !== null && isDraining(result.statusCode, result.text, ctx.drainingMarkers)) {
    return outcome('draining', 'draining', result.statusCode, latency, `HTTP ${result.statusCode}: the service is shutting down`);
  }
  const verdict = evaluateProbe(result, { statusRange: check.statusRange ?? [200, 299], ...(check.body ? { body: check.body } : {}) });
  if (verdict.status === 'down') return outcome('fail', 'down', result.statusCode, latency, verdict.error);
  if (check.maxLatencyMs !== undefined && result.latencyMs > check.maxLatencyMs) {
    return outcome('fail', 'down', result.statusCode, latency, `answered in ${Math.round(result.latencyMs)} ms, over the ${check.maxLatencyMs} ms limit`);
  }
  return outcome('pass', verdict.status === 'degraded' ? 'degraded' : 'ok', result.statusCode, latency, verdict.error);
}

/**
 * A 500 or 503 answer that says it is shutting down (Lightship's `SERVER_IS_SHUTTING_DOWN`, a `draining` status).
 * @example isDraining(503, '{"status":"draining"}', DEFAULT_DRAINING_MARKERS) // true
 */
export function isDraining(status: number, text: string | undefined, markers: readonly string[]): boolean {
  if ((status !== 500 && status !== 503) || !text) return false;
  const lower = text.toLowerCase();
  return markers.some((m) => lower.includes(m.toLowerCase()));
}
