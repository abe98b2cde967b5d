import { z } from 'zod';
import { systemClock, type Clock } from '../clock.js';
import { AetherError, isAetherError } from '../errors.js';
import { defineRoute, sse, type AnyRouteSpec } from '../http/route.js';
import { PERMISSIONS } from '../rbac/policy.js';
import { decodeCursor, encodeCursor, type EventBus } from './bus.js';
import { MAX_BUCKETS } from './buckets.js';
import { binaryModeEvent, inBinaryModeTerms } from './content-modes.js';
import { eventInputSchema, seedEventInputSchema, SEVERITIES, toPublicEvent, type Severity, type StoredEvent } from './envelope.js';
import { MAX_FILTER_VALUES, parseSince, type EventFilter } from './filter.js';
import { sentSeqs } from './sent-seqs.js';
import { eventPageSchema, eventStatsSchema, eventTypeDescriptionSchema, eventTypeListSchema, publicEventSchema, PUBLISH_EXAMPLES, publishResultSchema } from './route-schemas.js';

export interface EventRoutesOptions {
  bus: EventBus;
  clock?: Clock;
  /** Most events a stream replays on reconnect (`Last-Event-ID`). Default 10 000. */
  maxReplay?: number;
  /** Ends every open stream when aborted (shutdown), so the server can finish its requests. */
  signal?: AbortSignal;
}

const TYPE_OR_PREFIX = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\.\*)?$|^\*$/i;

/** A comma-separated query value as its distinct, non-empty members. */
const commaList = (value: string) => [...new Set(value.split(',').map((v) => v.trim()).filter(Boolean))];
const AT_MOST = { message: `must list at most ${MAX_FILTER_VALUES} distinct values` };
const fewEnough = (v: string | undefined) => v === undefined || commaList(v).length <= MAX_FILTER_VALUES;

/** The filters `GET /events/recent` and `GET /events/stream` share, with the seed's names. */
function filterShape(clock: Clock) {
  return {
    event_type: z
      .string()
      .max(2000)
      .optional()
      .refine((v) => v === undefined || commaList(v).every((t) => TYPE_OR_PREFIX.test(t)), {
        message: 'must be event types, comma-separated; a type may end in ".*"',
      })
      .refine(fewEnough, AT_MOST)
      .describe(`Event type, a comma-separated list (at most ${MAX_FILTER_VALUES}), or a prefix such as "autoheal.*"`),
    source: z.string().max(300).optional(),
    severity: z
      .string()
      .optional()
      .refine((v) => v === undefined || commaList(v).every((s) => (SEVERITIES as readonly string[]).includes(s)), {
        message: `must be one or more of ${SEVERITIES.join(', ')}, comma-separated`,
      })
      .describe('info, warning, error or critical; comma-separated for several'),
    tenant_id: z.string().max(200).optional(),
    since: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined;
        try {
          return new Date(parseSince(v, clock.now())).toISOString();
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (isAetherError(error) && error.errors?.[0]?.message) || 'is not a time' });
          return z.NEVER;
        }
      })
      .describe('ISO 8601 date-time, or a window back from now: 15m, 1h, 24h, 7d (at most 36500d)'),
  };
}

type FilterQuery = { event_type?: string | undefined; source?: string | undefined; severity?: string | undefined; tenant_id?: string | undefined; since?: string | undefined };

function toFilter(q: FilterQuery): EventFilter {
  const filter: EventFilter = {};
  if (q.event_type) filter.type = commaList(q.event_type).filter((t) => t !== '*');
  if (q.source) filter.source = q.source;
  if (q.severity) filter.severity = commaList(q.severity) as Severity[];
  if (q.tenant_id) filter.tenantid = q.tenant_id;
  if (q.since) filter.since = q.since;
  return filter;
}

/** How many sent seqs a stream remembers to drop duplicates between replay, live and remote delivery. */
const SENT_MEMORY = 10_000;

const cursorSchema = z.string().regex(/^\d{1,15}$/, 'is not a cursor this server issued');

/**
 * The event pipeline's HTTP routes (DESIGN §4): publish, recent, stats, schema and the live stream.
 * @example app.register(aetherlinkFastify, { routes: eventRoutes({ bus }) })
 */
export function eventRoutes(options: EventRoutesOptions): AnyRouteSpec[] {
  const { bus } = options;
  const clock = options.clock ?? systemClock;
  const maxReplay = options.maxReplay ?? 10_000;
  // Every stream gets the same event object from the bus: its message is built once, not once per subscriber.
  const messages = new WeakMap<StoredEvent, { id: string; data: string }>();
  // A fan-out hands one event to every stream in a row: the last one answers without a lookup.
  let last: { event: StoredEvent; message: { id: string; data: string } } | undefined;
  const messageOf = (event: StoredEvent) => {
    if (last?.event === event) return last.message;
    let message = messages.get(event);
    if (!message) messages.set(event, (message = { id: encodeCursor(event.seq), data: JSON.stringify(toPublicEvent(event)) }));
    last = { event, message };
    return message;
  };

  const publish = defineRoute({
    method: 'POST',
    path: '/events/publish',
    permission: PERMISSIONS.eventsPublish,
    operationId: 'publishEvent',
    summary: 'Publish an event (CloudEvents 1.0 shape, or the seed shape with event_type/payload)',
    description:
      'CloudEvents structured mode (application/cloudevents+json) and binary mode (attributes in ce-* headers, the data as a JSON body) are accepted too.',
    tags: ['events'],
    // parseEventInput checks the shape (and names bad fields in either shape); no second pass here.
    body: z.unknown(),
    openapi: { requestBody: z.union([eventInputSchema, seedEventInputSchema]), examples: PUBLISH_EXAMPLES },
    response: publishResultSchema,
    bodyLimit: 64 * 1024,
    handler: async ({ body, headers }) => {
      const binary = binaryModeEvent(headers, body);
      const { event, duplicate } = binary ? await bus.publish(binary).catch((error: unknown) => Promise.reject(inBinaryModeTerms(error))) : await bus.publish(body);
      return { status: 'ok', event_id: event.id, duplicate };
    },
  });

  const recent = defineRoute({
    method: 'GET',
    path: '/events/recent',
    permission: PERMISSIONS.opsRead,
    operationId: 'listRecentEvents',
    response: eventPageSchema,
    summary: 'Recent events, newest first',
    tags: ['events'],
    query: z.object({
      ...filterShape(clock),
      limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1).max(1000).default(50),
      cursor: cursorSchema.optional().describe('next_cursor of the previous page'),
    }),
    handler: async ({ query }) => {
      const page = await bus.query({ ...toFilter(query), limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
      return { events: page.events.map(toPublicEvent), count: page.events.length, next_cursor: page.next_cursor };
    },
  });

  const stats = defineRoute({
    method: 'GET',
    path: '/events/stats',
    permission: PERMISSIONS.opsRead,
    operationId: 'getEventStats',
    summary: 'Event counts: total, last 24 hours, by severity; with bucket and since, also per bucket by severity',
    tags: ['events'],
    query: z
      .object({
        bucket: z.string().max(20).optional().describe(`Bucket length for a series: 30s, 1m, 5m, 1h, 1d (at most ${MAX_BUCKETS} buckets over the window)`),
        since: z.string().max(100).optional().describe('Where the series starts: ISO 8601 date-time, or a window back from now such as 15m, 1h, 24h'),
      })
      .superRefine((q, ctx) => {
        if (q.bucket !== undefined && q.since === undefined) ctx.addIssue({ code: 'custom', path: ['since'], message: 'is required with bucket' });
        if (q.since !== undefined && q.bucket === undefined) ctx.addIssue({ code: 'custom', path: ['bucket'], message: 'is required with since' });
      }),
    response: eventStatsSchema,
    handler: async ({ query }) => {
      if (query.bucket === undefined || query.since === undefined) return bus.stats();
      const [totals, series] = await Promise.all([bus.stats(), bus.series({ bucket: query.bucket, since: query.since })]);
      return { ...totals, series };
    },
  });

  const schemaList = defineRoute({
    method: 'GET',
    path: '/events/schema',
    permission: PERMISSIONS.opsRead,
    operationId: 'listEventTypes',
    response: eventTypeListSchema,
    summary: 'Every registered event type with the JSON Schema of its data',
    tags: ['events'],
    handler: () => {
      const types = bus.registry.list().map((d) => bus.registry.describe(d.type)!);
      return { count: types.length, strict: bus.registry.strict, types };
    },
  });

  const schemaOne = defineRoute({
    method: 'GET',
    path: '/events/schema/{type}',
    permission: PERMISSIONS.opsRead,
    operationId: 'getEventType',
    response: eventTypeDescriptionSchema,
    summary: 'One event type and the JSON Schema of its data',
    tags: ['events'],
    params: z.object({ type: z.string().min(1).max(200) }),
    handler: ({ params }) => {
      const described = bus.registry.describe(params.type);
      if (!described) throw new AetherError('not_found', `no event type "${params.type}" is registered`);
      return described;
    },
  });

  const stream = defineRoute({
    method: 'GET',
    path: '/events/stream',
    permission: PERMISSIONS.opsRead,
    operationId: 'streamEvents',
    sse: 'always',
    // What each message's `data` holds; its `id` is the cursor to resume from (Last-Event-ID).
    response: publicEventSchema,
    summary: 'Live events as Server-Sent Events; reconnect with Last-Event-ID to resume without gaps',
    tags: ['events'],
    query: z.object({
      ...filterShape(clock),
      limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1000).default(100)
        .describe('With since: how many stored events to replay before going live'),
    }),
    handler: ({ query }) =>
      sse(async (channel) => {
        const filter = toFilter(query);
        let live = false;
        const pending: StoredEvent[] = [];
        // Events of other instances arrive after a round trip, so seqs are not monotonic on the wire: remember
        // which were sent (bounded) rather than the highest one, or a late lower seq would be dropped.
        const sent = sentSeqs(SENT_MEMORY);
        const send = (event: StoredEvent) => {
          if (sent.add(event.seq)) channel.send(messageOf(event));
        };
        // Subscribe before replaying so nothing published meanwhile is missed; duplicates are dropped by seq.
        // Deferred: a publish is answered before its event is fanned out to the streams.
        const off = bus.subscribe(filter, (event) => (live ? send(event) : pending.push(event)), { deferred: true });
        channel.signal.addEventListener('abort', off, { once: true });
        if (options.signal) {
          if (options.signal.aborted) return channel.close();
          const end = () => channel.close();
          options.signal.addEventListener('abort', end, { once: true });
          channel.signal.addEventListener('abort', () => options.signal!.removeEventListener('abort', end), { once: true });
        }

        const resume = channel.lastEventId !== undefined && /^\d{1,15}$/.test(channel.lastEventId) ? decodeCursor(channel.lastEventId) : undefined;
        if (resume !== undefined || filter.since) {
          let after = resume ?? 0;
          let remaining = resume !== undefined ? maxReplay : query.limit;
          while (remaining > 0 && !channel.signal.aborted) {
            const batch = Math.min(500, remaining);
            const rows = await bus.store.query({ ...filter, order: 'asc', after, limit: batch });
            for (const row of rows) send(row);
            if (rows.length < batch) break;
            after = rows[rows.length - 1]!.seq;
            remaining -= rows.length;
          }
        }
        live = true;
        for (const event of pending.splice(0)) send(event);
      }),
  });

  return [publish, recent, stats, schemaList, schemaOne, stream];
}
