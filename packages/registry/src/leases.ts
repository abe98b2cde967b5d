import type { HealthStatus, ServiceRecord } from '@aetherlink/core';
import { iso, ms } from './_internal/time.js';
import type { LeaseAction, LeaseState } from './types.js';

type LeaseFields = Pick<ServiceRecord, 'lease_expires_at' | 'status'>;

/**
 * Where a lease stands at `now`. Pure.
 * @example leaseState({ lease_expires_at: '2026-01-01T00:01:30Z', status: 'ok' }, Date.parse('2026-01-01T00:02:00Z'), 300_000) // 'expired'
 */
export function leaseState(record: LeaseFields, now: number, criticalForMs: number): LeaseState {
  if (record.lease_expires_at === null) return 'none';
  const expires = ms(record.lease_expires_at);
  if (now < expires) return 'alive';
  return now >= expires + criticalForMs ? 'critical' : 'expired';
}

/**
 * What the expiry pass does with a record. Pure: maintenance suspends expiry; a run-out lease turns the service
 * `down` once; past critical-for it is deregistered.
 * @example decideLease(record, clock.now(), 300_000) // 'mark_down'
 */
export function decideLease(record: LeaseFields, now: number, criticalForMs: number): LeaseAction {
  if (record.status === 'maintenance') return 'keep';
  const state = leaseState(record, now, criticalForMs);
  if (state === 'critical') return 'deregister';
  if (state === 'expired' && record.status !== 'down') return 'mark_down';
  return 'keep';
}

/**
 * The status to show: `down` once the lease has run out, even before the expiry pass wrote it. Pure.
 * @example effectiveStatus(record, clock.now()) // 'down'
 */
export function effectiveStatus(record: LeaseFields, now: number): HealthStatus {
  if (record.status === 'maintenance') return record.status;
  return record.lease_expires_at !== null && now >= ms(record.lease_expires_at) ? 'down' : record.status;
}

/**
 * When a lease taken or renewed at `now` runs out.
 * @example leaseExpiresAt(clock.now(), 90)
 */
export function leaseExpiresAt(now: number, ttlSeconds: number): string {
  return iso(now + ttlSeconds * 1000);
}
