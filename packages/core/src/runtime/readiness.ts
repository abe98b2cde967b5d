import type { CheckResult } from './module.js';

/** One entry of `checks` in an `application/health+json` answer (draft-inadarei-api-health-check). */
export interface HealthCheckEntry extends CheckResult {
  componentType?: string;
  time: string;
}

/** The body of `GET /health.json`. */
export interface ReadinessReport {
  status: 'pass' | 'warn' | 'fail';
  version?: string;
  serviceId?: string;
  description?: string;
  checks: Record<string, HealthCheckEntry[]>;
}

const RANK = { pass: 0, warn: 1, fail: 2 } as const;

/**
 * The worst status over every check: fail > warn > pass; `pass` when there are none. Pure.
 * @example overallStatus({ 'database:ping': [{ status: 'warn', time }] }) // 'warn'
 */
export function overallStatus(checks: Record<string, readonly { status: CheckResult['status'] }[]>): ReadinessReport['status'] {
  let worst: ReadinessReport['status'] = 'pass';
  for (const entries of Object.values(checks)) for (const e of entries) if (RANK[e.status] > RANK[worst]) worst = e.status;
  return worst;
}

/**
 * How a loop looks to readiness: `pass` while it runs on time (or another instance leads it), `warn` when its
 * last pass failed or it is overdue by more than `staleAfterIntervals` intervals. A loop never fails readiness:
 * taking the instance out of rotation would not make the loop run. Pure.
 * @example loopCheck({ name: 'registry-probe', intervalMs: 15000, active: true, lastRun, lastError: null, startedAt, now })
 */
export function loopCheck(input: {
  intervalMs: number;
  active: boolean;
  lastRun: number | null;
  lastError: string | null;
  startedAt: number | null;
  now: number;
  staleAfterIntervals?: number;
}): CheckResult {
  const { intervalMs, active, lastRun, lastError, startedAt, now } = input;
  const staleMs = intervalMs * (input.staleAfterIntervals ?? 3) + 1000;
  const time = new Date(lastRun ?? now).toISOString();
  if (!active) return { status: 'pass', output: 'another instance leads this loop', time };
  // The error itself goes to the log, not to this public answer.
  if (lastError) return { status: 'warn', output: 'the last pass failed; the server log says why', time };
  const since = lastRun ?? startedAt ?? now;
  if (now - since > staleMs) {
    return { status: 'warn', output: lastRun === null ? `no pass finished in ${now - since} ms` : `no pass finished since ${time}`, time };
  }
  return { status: 'pass', ...(lastRun !== null ? { observedValue: now - lastRun, observedUnit: 'ms' } : {}), time };
}
