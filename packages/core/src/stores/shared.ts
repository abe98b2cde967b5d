import { AetherError } from '../errors.js';
import type { Severity } from '../events/envelope.js';
import type { AuditRecord, AuditStats } from '../audit/audit-log.js';
import type { DeliveryAttempt, DeliveryInput, DeliveryOutcome, DeliveryRecord, DeliveryStatus, RevisionCondition, ServiceInput, ServicePatch, ServiceRecord } from './types.js';
import { uuidv7 } from '../ids.js';
import { checkTime } from '../events/limits.js';

// Pure helpers every store implementation shares, so memory, SQLite and PostgreSQL agree to the letter.

/**
 * A time given to a store as canonical UTC ISO, or `validation_failed` naming the field: ISO 8601 only (no
 * `Date.parse` leniencies) and inside `TIME_RANGE`, so every store accepts the same times. A time without an
 * offset is UTC, as everywhere in AetherLink.
 * @example timeParam(q.since, 'since') // '2026-01-01T00:00:00.000Z'
 */
export function timeParam(value: string, field: string): string {
  return new Date(checkTime(value, field)).toISOString();
}

/**
 * A patch without its `undefined` members: leaving a field out and passing `undefined` both mean "no change".
 * @example definedOnly({ enabled: undefined, name: 'x' }) // { name: 'x' }
 */
export function definedOnly<T extends object>(patch: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * The `conflict` error stores throw for a delivery id that is taken.
 * @example throw deliveryIdTaken('d-1')
 */
export function deliveryIdTaken(id: string): AetherError {
  return new AetherError('conflict', `a delivery with id "${id}" already exists`, { errors: [{ field: 'id', message: 'is already taken' }] });
}

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivering', 'delivered', 'retrying', 'dead_letter', 'cancelled'];

/** Statuses of a delivery that is not finished yet: waiting for a try, or being tried. */
export const UNFINISHED_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivering', 'retrying'];

export const emptySeverityCounts = (): Record<Severity, number> => ({ info: 0, warning: 0, error: 0, critical: 0 });

export const emptyDeliveryCounts = (): Record<DeliveryStatus, number> => ({ pending: 0, delivering: 0, delivered: 0, retrying: 0, dead_letter: 0, cancelled: 0 });

/**
 * Audit stats from counters kept by path and by status.
 * @example auditStatsFrom(byPath, byStatus)
 */
export function auditStatsFrom(byPath: Iterable<[string, number]>, byStatus: Iterable<[number | string, number]>): AuditStats {
  const statuses = [...byStatus].map(([k, v]) => [String(k), v] as [string, number]);
  const count = (code: string) => statuses.find(([k]) => k === code)?.[1] ?? 0;
  return {
    total_requests: statuses.reduce((n, [, v]) => n + v, 0),
    denied_401_unauthorized: count('401'),
    denied_403_forbidden: count('403'),
    by_path: Object.fromEntries([...byPath].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    by_status: Object.fromEntries(statuses.sort((a, b) => a[0].localeCompare(b[0]))),
  };
}

/**
 * Counts a batch of audit records by path and by status, for stores that keep counters.
 * @example const { byPath, byStatus } = countAudit(records)
 */
export function countAudit(records: readonly AuditRecord[]): { byPath: Map<string, number>; byStatus: Map<number, number> } {
  const byPath = new Map<string, number>();
  const byStatus = new Map<number, number>();
  for (const r of records) {
    byPath.set(r.path, (byPath.get(r.path) ?? 0) + 1);
    byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  }
  return { byPath, byStatus };
}

/**
 * A new delivery record from its input.
 * @example const record = newDelivery(input, Date.now())
 */
export function newDelivery(input: DeliveryInput, now: number): DeliveryRecord {
  if (!Number.isInteger(input.max_attempts) || input.max_attempts < 1) {
    throw new AetherError('validation_failed', 'max_attempts must be a whole number of at least 1', {
      errors: [{ field: 'max_attempts', message: 'must be a whole number of at least 1' }],
    });
  }
  const iso = new Date(now).toISOString();
  const id = input.id ?? uuidv7(now);
  return {
    id,
    webhook_id: input.webhook_id ?? id,
    endpoint: input.endpoint,
    endpoint_id: input.endpoint_id ?? null,
    payload: input.payload ?? null,
    headers: { ...input.headers },
    status: 'pending',
    attempts: 0,
    max_attempts: input.max_attempts,
    next_attempt_at: input.next_attempt_at ? timeParam(input.next_attempt_at, 'next_attempt_at') : iso,
    lease_owner: null,
    leased_until: null,
    last_error: null,
    last_status_code: null,
    event_type: input.event_type ?? null,
    event_id: input.event_id ?? null,
    rule_id: input.rule_id ?? null,
    tenantid: input.tenantid ?? null,
    replay_of: null,
    created_at: iso,
    updated_at: iso,
    delivered_at: null,
  };
}

/**
 * The fresh copy a replay enqueues: new id, attempts reset, the same `webhook_id`.
 * @example const copy = replayOf(original, Date.now())
 */
export function replayOf(original: DeliveryRecord, now: number): DeliveryRecord {
  const iso = new Date(now).toISOString();
  return {
    ...original,
    id: uuidv7(now),
    status: 'pending',
    attempts: 0,
    next_attempt_at: iso,
    lease_owner: null,
    leased_until: null,
    last_error: null,
    last_status_code: null,
    replay_of: original.id,
    created_at: iso,
    updated_at: iso,
    delivered_at: null,
  };
}

/**
 * What a finished attempt does to a leased delivery: delivered, retried later, or dead-lettered.
 * @example Object.assign(record, afterAttempt(record, attempt, 'delivered', null))
 */
export function afterAttempt(
  record: Pick<DeliveryRecord, 'attempts'>,
  attempt: DeliveryAttempt,
  outcome: 'delivered' | 'failed',
  retryAt: number | null,
): Partial<DeliveryRecord> {
  const base = {
    attempts: Math.max(record.attempts, attempt.attempt),
    lease_owner: null,
    leased_until: null,
    last_status_code: attempt.status_code,
    updated_at: attempt.at,
  };
  if (outcome === 'delivered') return { ...base, status: 'delivered', next_attempt_at: null, delivered_at: attempt.at, last_error: null };
  if (retryAt === null) return { ...base, status: 'dead_letter', next_attempt_at: null, last_error: attempt.error };
  return { ...base, status: 'retrying', next_attempt_at: new Date(retryAt).toISOString(), last_error: attempt.error };
}

/**
 * The fields a settled outcome changes on a leased delivery, for every kind of outcome.
 * @example Object.assign(record, afterOutcome(record, { id, outcome: 'released', at: now, retryAt: now + 1000 }))
 */
export function afterOutcome(record: Pick<DeliveryRecord, 'attempts'>, outcome: DeliveryOutcome): Partial<DeliveryRecord> {
  switch (outcome.outcome) {
    case 'delivered':
      return afterAttempt(record, outcome.attempt, 'delivered', null);
    case 'failed':
      return afterAttempt(record, outcome.attempt, 'failed', outcome.retryAt);
    case 'released':
      return {
        status: record.attempts > 0 ? 'retrying' : 'pending',
        next_attempt_at: new Date(outcome.retryAt).toISOString(),
        lease_owner: null,
        leased_until: null,
        updated_at: new Date(outcome.at).toISOString(),
      };
    case 'cancelled':
      return { status: 'cancelled', next_attempt_at: null, lease_owner: null, leased_until: null, last_error: outcome.reason, updated_at: new Date(outcome.at).toISOString() };
  }
}

/**
 * The attempt an outcome records, if it records one (released and cancelled items were not tried).
 * @example const attempt = attemptOf(outcome)
 */
export function attemptOf(outcome: DeliveryOutcome): DeliveryAttempt | null {
  return outcome.outcome === 'delivered' || outcome.outcome === 'failed' ? outcome.attempt : null;
}

/**
 * History cursors: opaque to clients, they carry the last row's `created_at` and `id`.
 * @example encodeDeliveryCursor(record)
 */
export function encodeDeliveryCursor(record: Pick<DeliveryRecord, 'created_at' | 'id'>): string {
  return Buffer.from(`${record.created_at}|${record.id}`).toString('base64url');
}

/**
 * Reads a history cursor back; throws `validation_failed` naming `cursor`.
 * @example const { created_at, id } = decodeDeliveryCursor(q.cursor)
 */
export function decodeDeliveryCursor(cursor: string): { created_at: string; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString();
  const bar = text.indexOf('|');
  const created_at = text.slice(0, bar);
  if (bar < 0 || !Number.isFinite(Date.parse(created_at)) || text.length - bar < 2) {
    throw new AetherError('validation_failed', `cursor: "${cursor}" is not a cursor this server issued`, {
      errors: [{ field: 'cursor', message: 'is not a cursor this server issued', in: 'query' }],
    });
  }
  return { created_at: new Date(Date.parse(created_at)).toISOString(), id: text.slice(bar + 1) };
}

/**
 * The record an upsert stores: `registered_at` of the record being replaced kept, the new revision set.
 * @example const merged = upsertOver(existing, incoming, nextRevision)
 */
export function upsertOver(existing: ServiceRecord | null | undefined, incoming: ServiceInput, revision: number): ServiceRecord {
  const { revision: _ignored, ...fields } = incoming as ServiceInput & { revision?: number };
  return { ...fields, ...(existing ? { registered_at: existing.registered_at } : {}), revision };
}

/**
 * A patched record: the patch's defined fields over the existing ones, never `name`, `registered_at` or the
 * revision, which becomes `revision`.
 * @example const next = patchOver(existing, { status: 'ok' }, nextRevision)
 */
export function patchOver(existing: ServiceRecord, patch: ServicePatch, revision: number): ServiceRecord {
  const { name: _n, registered_at: _r, revision: _v, ...rest } = definedOnly(patch as Partial<ServiceRecord>);
  return { ...existing, ...rest, revision };
}

/**
 * Whether a write's revision condition holds for the record as it is now.
 * @example if (!revisionMatches(existing, condition)) return null
 */
export function revisionMatches(existing: Pick<ServiceRecord, 'revision'>, condition: RevisionCondition | undefined): boolean {
  return condition?.ifRevision === undefined || condition.ifRevision === existing.revision;
}

/**
 * The inclusive-exclusive range of strings that start with `prefix` under binary collation.
 * @example prefixRange('autoheal.') // ['autoheal.', 'autoheal/']
 */
export function prefixRange(prefix: string): [string, string] {
  const last = prefix.charCodeAt(prefix.length - 1);
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1)];
}

const DEEPEST = 64;
const TOO_DEEP = Symbol('too deep');

/**
 * A deep copy of a stored record, as `structuredClone` makes it but several times faster for the plain objects
 * and arrays stores keep (the clone is most of a memory store's cost per append). Values that are not plain —
 * Dates, Maps, class instances, functions — and structures deeper than 64 levels or with cycles go through
 * `structuredClone` itself, so the result (or the error) is the same.
 * @example const copy = cloneRecord(event) // copy.data !== event.data
 */
export function cloneRecord<T>(value: T): T {
  const copy = plainCopy(value, 0);
  return copy === TOO_DEEP ? structuredClone(value) : (copy as T);
}

function plainCopy(value: unknown, depth: number): unknown {
  if (value === null) return null;
  const type = typeof value;
  if (type !== 'object') return type === 'function' || type === 'symbol' ? TOO_DEEP : value;
  if (depth > DEEPEST) return TOO_DEEP;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return TOO_DEEP;
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = plainCopy(value[i], depth + 1);
      if (item === TOO_DEEP) return TOO_DEEP;
      out[i] = item;
    }
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return TOO_DEEP;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value as object)) {
    const item = plainCopy((value as Record<string, unknown>)[key], depth + 1);
    if (item === TOO_DEEP) return TOO_DEEP;
    // A key named __proto__ (JSON.parse makes them) is data, never the copy's prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}
