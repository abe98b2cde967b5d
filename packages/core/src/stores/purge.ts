import { validationError, type FieldError } from '../errors.js';
import { checkTime } from '../events/limits.js';
import type { DeadLetterPurge, DeliveryRecord, PurgeRequest } from './types.js';

// Pure helpers every store's retention shares, so memory, SQLite and PostgreSQL remove the same records.

/** A purge request checked: `olderThan` as epoch ms and canonical ISO, the numbers whole. */
export interface CheckedPurge {
  olderThanMs?: number;
  olderThan?: string;
  keepNewest?: number;
  limit: number;
}

/**
 * Checks a purge request, or throws `validation_failed` naming each bad field.
 * @example const { limit, olderThanMs } = checkPurgeRequest({ olderThan: '2026-01-01T00:00:00Z', limit: 500 })
 */
export function checkPurgeRequest(request: PurgeRequest | DeadLetterPurge): CheckedPurge {
  const errors: FieldError[] = [];
  const whole = (value: unknown, field: string, min: number) => {
    if (!Number.isSafeInteger(value) || (value as number) < min) errors.push({ field, message: `must be a whole number of at least ${min}` });
  };
  whole(request?.limit, 'limit', 1);
  const keepNewest = (request as PurgeRequest).keepNewest;
  if (keepNewest !== undefined) whole(keepNewest, 'keepNewest', 0);
  let olderThanMs: number | undefined;
  if (request?.olderThan !== undefined) {
    try {
      olderThanMs = checkTime(request.olderThan, 'olderThan');
    } catch {
      errors.push({ field: 'olderThan', message: 'must be an ISO 8601 date-time between 0001 and 9999' });
    }
  }
  if (errors.length) throw validationError(errors, 'the purge request is invalid');
  return {
    limit: request.limit,
    ...(keepNewest !== undefined ? { keepNewest } : {}),
    ...(olderThanMs !== undefined ? { olderThanMs, olderThan: new Date(olderThanMs).toISOString() } : {}),
  };
}

/**
 * How many of the oldest records go: `times` are the candidates' times (epoch ms, oldest first, at most `limit`
 * of them), `total` how many the store holds. Both rules remove a prefix (the excess over `keepNewest`; the run
 * of records older than `olderThan`), so their union is the longer of the two.
 * @example purgeCount([1, 2, 9], 10, { keepNewest: 9, olderThanMs: 3, limit: 3 }) // 2
 */
export function purgeCount(times: readonly number[], total: number, request: CheckedPurge): number {
  const excess = request.keepNewest === undefined ? 0 : Math.max(0, total - request.keepNewest);
  let old = 0;
  if (request.olderThanMs !== undefined) while (old < times.length && times[old]! < request.olderThanMs) old++;
  return Math.min(times.length, request.limit, Math.max(excess, old));
}

/**
 * Statuses of deliveries that are done for good, which retention may remove. `cancelled` belongs to the delivery
 * lifecycle that names it; stores compare statuses as text, so it costs nothing before.
 */
export const FINISHED_DELIVERY_STATUSES: readonly string[] = ['delivered', 'cancelled'];

/**
 * Whether retention may remove a delivery: finished, or a dead letter someone replayed (`replayed` holds the
 * ids named by any `replay_of`).
 * @example isPurgeableDelivery(record, replayed)
 */
export function isPurgeableDelivery(record: Pick<DeliveryRecord, 'id' | 'status'>, replayed: ReadonlySet<string>): boolean {
  return FINISHED_DELIVERY_STATUSES.includes(record.status) || (record.status === 'dead_letter' && replayed.has(record.id));
}
