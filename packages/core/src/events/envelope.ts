import { z } from 'zod';
import { fieldErrorsFromZod, validationError } from '../errors.js';
import { isoTime } from '../iso-time.js';
import { checkTime, inTimeRange, MAX_DATA_DEPTH, nestsDeeperThan, parseTime, TIME_FORMAT_MESSAGE, TIME_RANGE_MESSAGE, TOO_DEEP_MESSAGE } from './limits.js';

export { checkStorableEvent, checkTime, MAX_DATA_DEPTH, nestsDeeperThan, parseTime, serializeData, TIME_RANGE } from './limits.js';

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

const timeFormat = z.iso.datetime({ offset: true, local: true, error: TIME_FORMAT_MESSAGE });
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
    time: isoTime(time),
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
