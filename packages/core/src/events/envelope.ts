import { z } from 'zod';
import { fieldErrorsFromZod, validationError } from '../errors.js';

export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof severitySchema>;

/** Reverse-DNS style names: `autoheal.failed`, `com.acme.order-paid`. */
const TYPE_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/i;
const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export const eventTypeSchema = z
  .string()
  .max(200)
  .regex(TYPE_PATTERN, 'must be dot-separated words of letters, digits, "-" or "_", e.g. "autoheal.failed"');

/**
 * True for text every store can keep: well-formed Unicode (no lone surrogates) and no NUL characters, which
 * PostgreSQL refuses in text columns.
 * @example isStorableText('ok') // true
 */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes('\u0000');
}

const text = (min: number, max: number, minMessage?: string) =>
  z
    .string()
    .min(min, minMessage)
    .max(max)
    .refine(isStorableText, 'must be valid Unicode text without NUL characters');

/**
 * The instants every store keeps, epoch ms: years 0001 to 9999 in UTC. PostgreSQL has no year 0, and a year past
 * 9999 needs the signed six-digit ISO form, which PostgreSQL does not read.
 * @example TIME_RANGE.min // Date.parse('0001-01-01T00:00:00.000Z')
 */
export const TIME_RANGE = { min: Date.parse('0001-01-01T00:00:00.000Z'), max: Date.parse('9999-12-31T23:59:59.999Z') } as const;
const TIME_RANGE_MESSAGE = 'must be between 0001-01-01 and 9999-12-31 (UTC)';

/**
 * How deep `data` may nest (objects and arrays): JSON.parse reads 5,000 levels that JSON.stringify cannot write.
 * @example nestsDeeperThan(data, MAX_DATA_DEPTH)
 */
export const MAX_DATA_DEPTH = 64;
const TOO_DEEP_MESSAGE = `must not nest deeper than ${MAX_DATA_DEPTH} levels`;

const TIME_FORMAT_MESSAGE = 'must be an ISO 8601 date-time';
const timeFormat = z.iso.datetime({ offset: true, local: true, error: TIME_FORMAT_MESSAGE });
// The same formats as bare patterns: stores check every append's time, and a zod parse costs ten times as much.
const DATE_TIME_PATTERN = z.regexes.datetime({ offset: true, local: true });
const DATE_PATTERN = z.regexes.date;
// A malformed time is refused by the format check alone: only well-formed times are held to the range.
const timeSchema = timeFormat.refine((v) => Number.isNaN(parseTime(v)) || inTimeRange(parseTime(v)), TIME_RANGE_MESSAGE);
const dataSchema = z.unknown().refine((v) => !nestsDeeperThan(v, MAX_DATA_DEPTH), TOO_DEEP_MESSAGE);

/** What a publisher sends in the CloudEvents 1.0 shape; everything but `type` and `source` has a default. */
export const eventInputSchema = z.strictObject({
  specversion: z.literal('1.0', { error: 'must be "1.0"' }).optional(),
  id: text(1, 200).optional(),
  source: text(1, 300, 'must not be empty'),
  type: eventTypeSchema,
  time: timeSchema.optional(),
  datacontenttype: text(0, 100).optional(),
  dataschema: text(0, 500).optional(),
  data: dataSchema.optional(),
  severity: severitySchema.optional(),
  tenantid: text(1, 200).optional(),
  subject: text(0, 500).optional(),
  traceparent: z.string().regex(TRACEPARENT_PATTERN, 'must be a W3C traceparent').optional(),
});
export type EventInput = z.input<typeof eventInputSchema>;

/** The seed system's shape, still accepted by the publish endpoint. */
export const seedEventInputSchema = z.strictObject({
  event_type: eventTypeSchema,
  source: text(1, 300, 'must not be empty'),
  payload: dataSchema.optional(),
  severity: severitySchema.optional(),
  tenant_id: text(1, 200).optional(),
  timestamp: timeSchema.optional(),
  event_id: text(1, 200).optional(),
});
export type SeedEventInput = z.input<typeof seedEventInputSchema>;

/** A normalized event as AetherLink stores and returns it. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: string;
  data: unknown;
  severity: Severity;
  tenantid?: string;
  subject?: string;
  traceparent?: string;
  dataschema?: string;
}

/** An event the store holds: `received_at` is when it was stored; `seq` orders the store and backs cursors. */
export interface StoredEvent extends CloudEvent {
  received_at: string;
  seq: number;
}

/** The public JSON form of a stored event (no internal `seq`). */
export type PublicEvent = Omit<StoredEvent, 'seq'>;

/**
 * Drops store internals before an event leaves the process.
 * @example reply.send(toPublicEvent(stored))
 */
export function toPublicEvent(event: StoredEvent): PublicEvent {
  const { seq: _seq, ...rest } = event;
  return rest;
}

const SEED_KEYS = ['event_type', 'payload', 'tenant_id', 'timestamp', 'event_id'] as const;
const SEED_RENAME: Record<string, string> = {
  type: 'event_type',
  data: 'payload',
  tenantid: 'tenant_id',
  time: 'timestamp',
  id: 'event_id',
};

/**
 * Maps the seed shape to the CloudEvents input shape.
 * @example fromSeedShape({ event_type: 'lead.created', source: 'crm', payload: {} })
 */
export function fromSeedShape(seed: z.output<typeof seedEventInputSchema>): EventInput {
  return {
    type: seed.event_type,
    source: seed.source,
    ...(seed.payload !== undefined ? { data: seed.payload } : {}),
    ...(seed.severity ? { severity: seed.severity } : {}),
    ...(seed.tenant_id ? { tenantid: seed.tenant_id } : {}),
    ...(seed.timestamp ? { time: seed.timestamp } : {}),
    ...(seed.event_id ? { id: seed.event_id } : {}),
  };
}

/** Which shape a body uses decides the field names its errors carry. */
export interface ParsedEventInput {
  input: z.output<typeof eventInputSchema>;
  shape: 'cloudevents' | 'seed';
  /** Maps a CloudEvents field path back to the name the publisher used. */
  rename: (path: string) => string;
}

/**
 * Accepts either shape and returns a validated CloudEvents input, or throws `validation_failed`
 * naming each bad field as the publisher spelled it.
 * @example const { input } = parseEventInput(JSON.parse(body))
 */
export function parseEventInput(body: unknown): ParsedEventInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationError([{ field: 'body', message: 'must be a JSON object' }], 'the event is invalid');
  }
  const record = body as Record<string, unknown>;
  const isSeed = !('type' in record) && SEED_KEYS.some((k) => k in record);
  if (isSeed) {
    const parsed = seedEventInputSchema.safeParse(record);
    if (!parsed.success) throw validationError(fieldErrorsFromZod(parsed.error), 'the event is invalid');
    const input = eventInputSchema.parse(fromSeedShape(parsed.data));
    return { input, shape: 'seed', rename: renameToSeed };
  }
  if (!('type' in record)) {
    throw validationError(
      [{ field: 'type', message: 'is required (or "event_type" in the seed shape)' }],
      'the event is invalid',
    );
  }
  const fast = quickCheck(record);
  if (fast) return { input: fast, shape: 'cloudevents', rename: SAME };
  const parsed = eventInputSchema.safeParse(record);
  if (!parsed.success) throw validationError(fieldErrorsFromZod(parsed.error), 'the event is invalid');
  return { input: parsed.data, shape: 'cloudevents', rename: SAME };
}

const SAME = (p: string) => p;
const STRINGS: Record<string, [number, number]> = {
  id: [1, 200],
  source: [1, 300],
  type: [1, 200],
  datacontenttype: [0, 100],
  dataschema: [0, 500],
  tenantid: [1, 200],
  subject: [0, 500],
};
const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES);

/**
 * The common case, checked by hand: a well-formed CloudEvents input with no `time` or `traceparent`. Anything
 * else (including every invalid input) returns undefined and goes through the zod schema, which alone words
 * the errors; so both paths accept exactly the same inputs. Publishing is hot; zod costs microseconds here.
 */
function quickCheck(record: Record<string, unknown>): z.output<typeof eventInputSchema> | undefined {
  for (const key in record) {
    const value = record[key];
    if (key === 'data') {
      if (nestsDeeperThan(value, MAX_DATA_DEPTH)) return undefined;
      continue;
    }
    if (key === 'severity') {
      if (typeof value !== 'string' || !SEVERITY_SET.has(value)) return undefined;
      continue;
    }
    if (key === 'specversion') {
      if (value !== '1.0') return undefined;
      continue;
    }
    const bounds = Object.hasOwn(STRINGS, key) ? STRINGS[key] : undefined;
    if (!bounds || typeof value !== 'string' || value.length < bounds[0] || value.length > bounds[1] || !isStorableText(value)) return undefined;
  }
  if (typeof record.source !== 'string' || typeof record.type !== 'string' || !TYPE_PATTERN.test(record.type)) return undefined;
  return record as z.output<typeof eventInputSchema>;
}

function renameToSeed(path: string): string {
  const [head, ...rest] = path.split('.');
  const renamed = SEED_RENAME[head ?? ''] ?? head ?? '';
  return [renamed, ...rest].join('.');
}

/**
 * Parses an ISO 8601 date-time (as event `time` takes it) or calendar date; a time without an offset is taken as
 * UTC. Returns epoch ms, or NaN for anything else — `Date.parse` leniencies such as `1`, `2024` or RFC 2822 dates
 * included.
 * @example parseTime('2025-11-04T15:14:23.000000') // 1762269263000
 */
export function parseTime(value: string): number {
  if (typeof value !== 'string') return Number.NaN;
  if (DATE_PATTERN.test(value)) return Date.parse(`${value}T00:00:00Z`);
  if (!DATE_TIME_PATTERN.test(value)) return Number.NaN;
  const hasOffset = /(?:Z|[+-]\d{2}:\d{2})$/.test(value);
  return Date.parse(hasOffset ? value : `${value}Z`);
}

/** True for epoch ms inside `TIME_RANGE`. */
const inTimeRange = (ms: number) => ms >= TIME_RANGE.min && ms <= TIME_RANGE.max;

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
  if (typeof value !== 'string' || !DATE_TIME_PATTERN.test(value)) return false;
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

/**
 * Fills ids and times: a missing `id` gets `newId()`, `time` becomes UTC ISO, `severity` defaults to info.
 * @example normalizeEvent(input, { now: Date.now(), newId: randomUUID })
 */
export function normalizeEvent(
  input: z.output<typeof eventInputSchema>,
  options: { now: number; newId: () => string },
): CloudEvent {
  const time = input.time ? checkTime(input.time, 'time') : options.now;
  const event: CloudEvent = {
    specversion: '1.0',
    id: input.id ?? options.newId(),
    source: input.source,
    type: input.type,
    time: new Date(time).toISOString(),
    datacontenttype: input.datacontenttype ?? 'application/json',
    data: input.data ?? null,
    severity: input.severity ?? 'info',
  };
  if (input.tenantid !== undefined) event.tenantid = input.tenantid;
  if (input.subject !== undefined) event.subject = input.subject;
  if (input.traceparent !== undefined) event.traceparent = input.traceparent;
  if (input.dataschema !== undefined) event.dataschema = input.dataschema;
  return event;
}
