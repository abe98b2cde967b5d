import { z } from 'zod';
import { validationError } from '../errors.js';
import { cachedIsoMs } from '../iso-time.js';
import type { CloudEvent } from './envelope.js';

// What every store can keep of an event, checked once in the envelope and again by each store before an event
// joins a commit batch, so memory, SQLite and PostgreSQL refuse the same events.

/**
 * The instants every store keeps, epoch ms: years 0001 to 9999 in UTC. PostgreSQL has no year 0, and a year past
 * 9999 needs the signed six-digit ISO form, which PostgreSQL does not read.
 * @example TIME_RANGE.min // Date.parse('0001-01-01T00:00:00.000Z')
 */
export const TIME_RANGE = { min: Date.parse('0001-01-01T00:00:00.000Z'), max: Date.parse('9999-12-31T23:59:59.999Z') } as const;
export const TIME_RANGE_MESSAGE = 'must be between 0001-01-01 and 9999-12-31 (UTC)';

/**
 * How deep `data` may nest (objects and arrays): JSON.parse reads 5,000 levels that JSON.stringify cannot write.
 * @example nestsDeeperThan(data, MAX_DATA_DEPTH)
 */
export const MAX_DATA_DEPTH = 64;
export const TOO_DEEP_MESSAGE = `must not nest deeper than ${MAX_DATA_DEPTH} levels`;

export const TIME_FORMAT_MESSAGE = 'must be an ISO 8601 date-time';
// The envelope's zod formats as bare patterns: stores check every append's time, and a zod parse costs ten times
// as much.
const DATE_TIME_PATTERN = z.regexes.datetime({ offset: true, local: true });
const DATE_PATTERN = z.regexes.date;

/**
 * Parses an ISO 8601 date-time (as event `time` takes it) or calendar date; a time without an offset is taken as
 * UTC. Returns epoch ms, or NaN for anything else — `Date.parse` leniencies such as `1`, `2024` or RFC 2822 dates
 * included.
 * @example parseTime('2025-11-04T15:14:23.000000') // 1762269263000
 */
export function parseTime(value: string): number {
  if (typeof value !== 'string') return Number.NaN;
  const cached = cachedIsoMs(value);
  if (cached !== undefined) return cached;
  if (DATE_PATTERN.test(value)) return Date.parse(`${value}T00:00:00Z`);
  if (!DATE_TIME_PATTERN.test(value)) return Number.NaN;
  const hasOffset = /(?:Z|[+-]\d{2}:\d{2})$/.test(value);
  return Date.parse(hasOffset ? value : `${value}Z`);
}

/** True for epoch ms inside `TIME_RANGE`. */
export const inTimeRange = (ms: number) => ms >= TIME_RANGE.min && ms <= TIME_RANGE.max;

/**
 * A time as epoch ms when it is ISO 8601 and inside `TIME_RANGE`, else `validation_failed` naming the field.
 * @example checkTime(q.since, 'since', 'query') // 1767225600000
 */
export function checkTime(value: string, field: string, where?: string): number {
  const ms = parseTime(value);
  const message = !Number.isFinite(ms) ? TIME_FORMAT_MESSAGE : !inTimeRange(ms) ? TIME_RANGE_MESSAGE : undefined;
  if (message === undefined) return ms;
  throw validationError([{ field, message, ...(where ? { in: where } : {}) }], 'the time is invalid');
}

/**
 * True when `value` nests objects or arrays more than `limit` levels deep. It stops at `limit + 1` levels, so
 * it cannot overflow the stack on the data it exists to refuse.
 * @example nestsDeeperThan({ a: { b: [1] } }, 2) // true
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  return typeof value === 'object' && value !== null && deeper(value, limit);
}

// Runs on every append: recursion only into objects, and no per-key hasOwn (JSON data has no inherited keys).
function deeper(value: object, limit: number): boolean {
  if (limit <= 0) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null && deeper(item, limit - 1)) return true;
    }
    return false;
  }
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (typeof item === 'object' && item !== null && deeper(item, limit - 1)) return true;
  }
  return false;
}

/**
 * What every store checks before an event joins a commit batch, so memory, SQLite and PostgreSQL refuse the same
 * events and one bad event never fails another's append: `time` an ISO 8601 date-time inside `TIME_RANGE` and
 * `data` no deeper than `MAX_DATA_DEPTH`. Throws `validation_failed` naming `time` or `data`.
 * @example checkStorableEvent(event) // then serialize and queue it
 */
export function checkStorableEvent(event: Pick<CloudEvent, 'time' | 'data'>): void {
  if (!isStorableTime(event.time)) {
    const formed = typeof event.time === 'string' && DATE_TIME_PATTERN.test(event.time);
    throw validationError([{ field: 'time', message: formed ? TIME_RANGE_MESSAGE : TIME_FORMAT_MESSAGE }], 'the event is invalid');
  }
  if (nestsDeeperThan(event.data, MAX_DATA_DEPTH)) throw validationError([{ field: 'data', message: TOO_DEEP_MESSAGE }], 'the event is invalid');
}

// The common case without Date.parse (a tenth of an append): years 0002–9998 are in range whatever the offset.
function isStorableTime(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  // A time the bus just wrote (isoTime) is well formed: only its range is left to check.
  const cached = cachedIsoMs(value);
  if (cached !== undefined) return inTimeRange(cached);
  if (!DATE_TIME_PATTERN.test(value)) return false;
  const year = value.slice(0, 4);
  return (year > '0001' && year < '9999') || inTimeRange(parseTime(value));
}

/**
 * `data` as JSON text, serialized once before the event joins a batch; values JSON cannot hold (cycles, BigInt)
 * are `validation_failed` naming `data` rather than a failed batch.
 * @example insert.run(..., serializeData(event.data))
 */
export function serializeData(data: unknown): string {
  try {
    return JSON.stringify(data ?? null);
  } catch (error) {
    const reason = error instanceof RangeError ? TOO_DEEP_MESSAGE : 'must be JSON-serializable';
    throw validationError([{ field: 'data', message: reason }], 'the event is invalid');
  }
}
