import { EventEmitter } from 'eventemitter3';
import { deferredFanout } from './deferred-fanout.js';
import { systemClock, type Clock } from '../clock.js';
import { isoTime } from '../iso-time.js';
import { AetherError } from '../errors.js';
import { errorFields, loggerFor, type Logger } from '../logger.js';
import { uuidv7 } from '../ids.js';
import { memoryEventStore } from '../stores/memory/events.js';
import { currentTrace } from '../trace/context.js';
import { spansEnabled, withSpan } from '../trace/otel.js';
import type { EventStats, EventStore } from '../stores/types.js';
import { normalizeEvent, parseEventInput, type CloudEvent, type EventInput, type SeedEventInput, type Severity, type StoredEvent } from './envelope.js';
import { parseBucket, planBuckets, seriesFrom, type EventSeries } from './buckets.js';
import { compileFilter, parseSince, type EventFilter } from './filter.js';
import { createSchemaRegistry, type SchemaRegistry } from './schema-registry.js';

export interface EventBusOptions {
  store?: EventStore;
  registry?: SchemaRegistry;
  clock?: Clock;
  /** `source` for events emitted with `bus.emit()`. Default `aetherlink`. */
  source?: string;
  newId?: () => string;
  logger?: Logger;
  /** Called when a subscriber throws; publishing goes on regardless. Default: logged. */
  onSubscriberError?: (error: unknown, event: StoredEvent) => void;
}

export interface PublishResult {
  event: StoredEvent;
  /** True when the same `source` + `id` was already stored; nothing new was stored or fanned out. */
  duplicate: boolean;
}

export interface EventPage {
  events: StoredEvent[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  next_cursor: string | null;
}

export interface EventPageQuery extends EventFilter {
  limit?: number;
  cursor?: string;
}

export interface EmitOptions {
  severity?: Severity;
  subject?: string;
  tenantid?: string;
  source?: string;
}

export type EventListener = (event: StoredEvent) => void;

export interface SubscribeOptions {
  /**
   * Deliver after the publish that stored the event has been answered: from the end of that turn of the event
   * loop, 128 deferred listeners a turn, each getting the events in order. For listeners whose work is large or
   * many-fold (one per SSE stream: 1,000 streams cost a publish ~1 ms before it could answer). Default false: the
   * listener runs before `publish` resolves.
   */
  deferred?: boolean;
}

export interface EventBus {
  readonly store: EventStore;
  readonly registry: SchemaRegistry;
  /** Validate → normalize id/time → append → fan out. Accepts the CloudEvents or the seed shape. */
  publish(input: EventInput | SeedEventInput | unknown): Promise<PublishResult>;
  /** Publishes an event of this process (`source` from the bus options); severity defaults to the type's. */
  emit(type: string, data: unknown, options?: EmitOptions): Promise<PublishResult>;
  /** Live events matching the filter, after they are stored. Returns the unsubscribe function. */
  subscribe(filter: EventFilter, listener: EventListener, options?: SubscribeOptions): () => void;
  /** Newest first; `cursor` pages to older events. */
  query(query?: EventPageQuery): Promise<EventPage>;
  stats(): Promise<EventStats>;
  /**
   * Events per bucket by severity, from the bucket holding `since` to the one holding now: `bucket` as `1m`,
   * `since` as ISO 8601 or a window (`1h`). Counted by the store; `validation_failed` names a bad field.
   */
  series(query: { bucket: string; since: string }): Promise<EventSeries>;
  /** Live subscriptions right now. */
  subscriberCount(): number;
  /** Stops relaying events other instances appended (when the store reports them). */
  close(): void;
}

const DEFAULT_LIMIT = 50;

/**
 * The event pipeline: one place to publish, query and subscribe.
 * @example
 * const bus = createEventBus();
 * bus.subscribe({ type: 'autoheal.*' }, (e) => console.log(e.type));
 * await bus.publish({ type: 'autoheal.failed', source: 'autoheal', data: { service: 'api', error: 'exit 1' } });
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  const store = options.store ?? memoryEventStore();
  const registry = options.registry ?? createSchemaRegistry();
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? (() => uuidv7(clock.now()));
  const emitter = new EventEmitter();
  const defaultSource = options.source ?? 'aetherlink';
  const log = loggerFor(options.logger, 'bus');
  const onSubscriberError =
    options.onSubscriberError ?? ((error: unknown, event: StoredEvent) => {
      log.error({ err: errorFields(error), event_type: event.type }, `an event subscriber threw on ${event.type}; the other subscribers still got it`);
    });

  // Deferred listeners get each event after the publish that stored it was answered, in slices of listeners.
  const later = deferredFanout<StoredEvent>();
  const deliver = (event: StoredEvent) => {
    emitter.emit('event', event);
    later.push(event);
  };

  // Events other instances appended to a shared store reach this instance's subscribers too.
  const unwatch = store.watch?.(deliver);

  const append = async (event: CloudEvent, now: number): Promise<PublishResult> => {
    // Published during a traced request (or call): the event joins its trace, unless the publisher named one.
    if (event.traceparent === undefined) {
      const trace = currentTrace();
      if (trace !== undefined) event.traceparent = trace.traceparent;
    }
    const { event: stored, inserted } = await store.append(event, isoTime(now));
    if (inserted) deliver(stored);
    return { event: stored, duplicate: !inserted };
  };

  const publish = (raw: unknown): Promise<PublishResult> => {
    let event: CloudEvent;
    let now: number;
    try {
      const { input, rename } = parseEventInput(raw);
      const data = registry.validate(input.type, input.data, rename);
      now = clock.now();
      event = normalizeEvent({ ...input, data }, { now, newId });
    } catch (error) {
      return Promise.reject(error);
    }
    if (event.traceparent === undefined && spansEnabled() && currentTrace() !== undefined) {
      const at = now;
      return withSpan(`publish ${event.type}`, { kind: 'producer', requireParent: true, attributes: { 'messaging.system': 'aetherlink', 'messaging.destination.name': event.type, 'cloudevents.event_id': event.id, 'cloudevents.event_source': event.source } }, () => append(event, at));
    }
    return append(event, now);
  };

  return {
    store,
    registry,
    publish,
    emit(type, data, opts = {}) {
      const severity = opts.severity ?? registry.get(type)?.defaultSeverity ?? 'info';
      return publish({
        type,
        source: opts.source ?? defaultSource,
        data,
        severity,
        ...(opts.subject ? { subject: opts.subject } : {}),
        ...(opts.tenantid ? { tenantid: opts.tenantid } : {}),
      });
    },
    subscribe(filter, listener, options) {
      const match = compileFilter(filter);
      const wrapped = (event: StoredEvent) => {
        if (!match(event)) return;
        try {
          listener(event);
        } catch (error) {
          onSubscriberError(error, event);
        }
      };
      const remove = options?.deferred ? later.add(wrapped) : (emitter.on('event', wrapped), () => void emitter.off('event', wrapped));
      let active = true;
      return () => {
        if (!active) return;
        active = false;
        remove();
      };
    },
    async query(q = {}) {
      const limit = q.limit ?? DEFAULT_LIMIT;
      const before = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const rows = await store.query({ ...q, limit: limit + 1, order: 'desc', ...(before !== undefined ? { before } : {}) });
      const events = rows.slice(0, limit);
      const last = events[events.length - 1];
      return { events, next_cursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
    },
    stats: () => store.stats(clock.now()),
    async series({ bucket, since }) {
      const now = clock.now();
      const plan = planBuckets(parseBucket(bucket), parseSince(since, now), now);
      return seriesFrom(bucket, plan, await store.countBuckets(plan));
    },
    subscriberCount: () => emitter.listenerCount('event') + later.size,
    close: () => unwatch?.(),
  };
}

/**
 * Cursors are opaque to clients; today they carry the store's `seq`.
 * @example encodeCursor(42) // '42'
 */
export function encodeCursor(seq: number): string {
  return String(seq);
}

/**
 * Reads a cursor back; throws `validation_failed` naming `cursor` when it is not one of ours.
 * @example decodeCursor('42') // 42
 */
export function decodeCursor(cursor: string): number {
  if (!/^\d{1,15}$/.test(cursor)) {
    throw new AetherError('validation_failed', `cursor: "${cursor}" is not a cursor this server issued`, {
      errors: [{ field: 'cursor', message: 'is not a cursor this server issued', in: 'query' }],
    });
  }
  return Number(cursor);
}
