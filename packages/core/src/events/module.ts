import { Counter, Gauge, sharedMetric } from '../metrics.js';
import type { Module } from '../runtime/module.js';
import { BUILTIN_EVENT_TYPES } from './builtin-types.js';
import { eventRoutes, type EventRoutesOptions } from './routes.js';

export type EventsModuleOptions = Omit<EventRoutesOptions, 'signal'>;

/**
 * The event pipeline as a module: publish, query, stats, schemas and the live stream; events published by type
 * and severity and live subscribers in `/metrics`; open streams end when the app drains.
 * @example createModuleHost({ modules: [eventsModule({ bus }), ...], schemas: bus.registry })
 */
export function eventsModule(options: EventsModuleOptions): Module {
  const { bus } = options;
  const streams = new AbortController();
  let unsubscribe: (() => void) | undefined;
  return {
    name: 'events',
    routes: eventRoutes({ ...options, signal: streams.signal }),
    loops: [],
    eventTypes: BUILTIN_EVENT_TYPES.filter((t) => t.type === 'security.rbac.violation'),
    metrics(registry) {
      const published = sharedMetric(
        registry,
        'aetherlink_events_published_total',
        () =>
          new Counter({
            name: 'aetherlink_events_published_total',
            help: 'Events stored, by type and severity (types no schema registers count as "unregistered")',
            labelNames: ['type', 'severity'] as const,
            registers: [registry],
          }),
      );
      // Only registered types become label values: publishers choose types, and series must stay bounded.
      unsubscribe = bus.subscribe({}, (event) => published.inc({ type: bus.registry.has(event.type) ? event.type : 'unregistered', severity: event.severity }));
      sharedMetric(
        registry,
        'aetherlink_event_stream_subscribers',
        () =>
          new Gauge({
            name: 'aetherlink_event_stream_subscribers',
            help: 'Live subscriptions to the event bus (streams and internal listeners)',
            registers: [registry],
            collect() {
              this.set(bus.subscriberCount());
            },
          }),
      );
    },
    drain: () => streams.abort(),
    close: () => unsubscribe?.(),
  };
}
