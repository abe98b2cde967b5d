import type { HealthStatus, ServiceRecord } from '@aetherlink/core';
import { leaseState } from './leases.js';
import type { CheckOutcome } from './types.js';

type StatusFields = Pick<ServiceRecord, 'status' | 'status_since' | 'last_check'>;

/**
 * The status fields a registration gets. Pure: a new service starts `down` until a check passes; re-registering
 * with the same health URL keeps what the checker found (and maintenance); a new health URL starts over.
 * @example statusOnRegister(null, 'http://api/ping', now) // { status: 'down', status_since: now, last_check: null }
 */
export function statusOnRegister(existing: ServiceRecord | null, healthUrl: string, nowIso: string): StatusFields {
  if (existing && (existing.status === 'maintenance' || existing.health_url === healthUrl)) {
    return { status: existing.status, status_since: existing.status_since, last_check: existing.last_check };
  }
  return { status: 'down', status_since: nowIso, last_check: null };
}

/**
 * The stored status after a probe. Pure: maintenance holds; a run-out lease keeps the service `down` whatever
 * the probe said (a heartbeat, not a probe, proves the lease holder is alive); otherwise the probe decides.
 * @example statusAfterProbe(record, 'ok', clock.now()) // 'ok'
 */
export function statusAfterProbe(record: ServiceRecord, probed: HealthStatus, now: number): HealthStatus {
  if (record.status === 'maintenance') return 'maintenance';
  return leaseState(record, now, Number.POSITIVE_INFINITY) === 'expired' ? 'down' : probed;
}

/**
 * Whether a probe result is worth a `service.health.failed` event. Pure: once per failure streak, and again when
 * the status changes within it, so a service that stays down does not flood the event log.
 * @example reportsFailure(previous, outcome, 'down') // true on the first failure
 */
export function reportsFailure(previous: ServiceRecord, outcome: Pick<CheckOutcome, 'status'>, next: HealthStatus): boolean {
  if (outcome.status === 'ok' || next === 'maintenance') return false;
  return previous.last_check === null || previous.last_check.error === null || previous.status !== next;
}
