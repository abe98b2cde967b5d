import type { Check } from './schemas.js';
import { readJsonPath } from '@aetherlink/core';
import type { JsonScalar, ProbeConditions, ProbeResult, ProbeVerdict } from './types.js';

/**
 * The conditions a checker uses unless told otherwise: any 2xx passes, nothing else is asked.
 * @example createHealthChecker({ registry, conditions: { ...DEFAULT_CONDITIONS, maxLatencyMs: 500 } })
 */
export const DEFAULT_CONDITIONS: Readonly<ProbeConditions> = Object.freeze({ statusRange: [200, 299] as const });

const show = (value: JsonScalar) => JSON.stringify(value);
const includes = (list: readonly JsonScalar[] | undefined, value: unknown) => list?.some((v) => Object.is(v, value)) ?? false;

/**
 * The kind of a JSON value, never the value: a body path may point at anything, a secret included, and the
 * verdict is shown to every operator and stored in events.
 */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * Judges one probe against its conditions. Pure: transport failures, status codes out of range and wrong
 * bodies are `down`; a 429, a `degraded` body value or a slow answer is `degraded`; everything else `ok`.
 * @example evaluateProbe({ statusCode: 429, latencyMs: 3, error: null }, {}) // { status: 'degraded', error: 'HTTP 429: …' }
 */
export function evaluateProbe(result: ProbeResult, conditions: ProbeConditions = DEFAULT_CONDITIONS): ProbeVerdict {
  if (result.error !== null || result.statusCode === null) return { status: 'down', error: result.error ?? 'no answer' };
  const code = result.statusCode;
  // Rate limiting means the service is alive and protecting itself: not down, but not fine either.
  if (code === 429) return { status: 'degraded', error: 'HTTP 429: the service is shedding load' };
  const [min, max] = conditions.statusRange ?? DEFAULT_CONDITIONS.statusRange!;
  if (code < min || code > max) {
    const redirect = code >= 300 && code < 400 ? ' (redirects are not followed)' : '';
    return { status: 'down', error: `HTTP ${code}, expected ${min === max ? min : `${min}–${max}`}${redirect}` };
  }

  const degraded: string[] = [];
  if (conditions.body) {
    const { path, ok, degraded: soft } = conditions.body;
    if (result.bodyError !== undefined) return { status: 'down', error: result.bodyError };
    const found = readJsonPath(result.body, path);
    const expected = `body.${path}: expected one of [${ok.map(show).join(', ')}]`;
    if (!found.found) return { status: 'down', error: `${expected}, found nothing` };
    // A degraded value equals one the registration listed, so naming it tells nothing the check does not.
    const degradedMatch = soft?.find((v) => Object.is(v, found.value));
    if (degradedMatch !== undefined) degraded.push(`body.${path} is ${show(degradedMatch)}, one of the degraded values`);
    else if (!includes(ok, found.value)) return { status: 'down', error: `${expected}, found ${kindOf(found.value)}` };
  }
  if (conditions.maxLatencyMs !== undefined && result.latencyMs > conditions.maxLatencyMs) {
    degraded.push(`answered in ${Math.round(result.latencyMs)} ms, over the ${conditions.maxLatencyMs} ms limit`);
  }
  return degraded.length ? { status: 'degraded', error: degraded.join('; ') } : { status: 'ok', error: null };
}

/**
 * The conditions and deadline for one service: its registration's `check` over the checker's defaults. Pure.
 * @example probeSettings({ status: '200-399', max_latency_ms: 500 }, {}, 5000) // { conditions: { statusRange: [200, 399], maxLatencyMs: 500 }, timeoutMs: 5000 }
 */
export function probeSettings(check: Check | null, defaults: ProbeConditions, timeoutMs: number): { conditions: ProbeConditions; timeoutMs: number } {
  if (!check) return { conditions: defaults, timeoutMs };
  const conditions: ProbeConditions = { ...defaults };
  if (check.status) {
    const [lo, hi = lo] = check.status.split('-').map(Number);
    conditions.statusRange = [lo!, hi!];
  }
  if (check.max_latency_ms !== undefined) conditions.maxLatencyMs = check.max_latency_ms;
  if (check.body_path) {
    conditions.body = { path: check.body_path, ok: check.body_ok ?? ['ok'], ...(check.body_degraded ? { degraded: check.body_degraded } : {}) };
  }
  return { conditions, timeoutMs: check.timeout_ms ?? timeoutMs };
}
