import {
  createEgressPolicy,
  DURATION_BUCKETS,
  Gauge,
  Histogram,
  loggerFor,
  sharedMetric,
  systemClock,
  UNFINISHED_DELIVERY_STATUSES,
  DELIVERY_STATUSES,
  type AnyRouteSpec,
  type Clock,
  type DeliveryStats,
  type DeliveryStore,
  type DocumentStore,
  type EgressPolicy,
  type Logger,
  type LoopSpec,
  type MetricsRegistry,
} from '@aetherlink/core';
import { createRenderer } from './channels/index.js';
import type { TemplateOverrides } from './channels/templates.js';
import { deliveryRoutes } from './delivery-routes.js';
import { attemptsFor, DEFAULT_RETRY_SCHEDULE_MS, type RetryPolicy } from './delivery/schedule.js';
import { createWebhookSender } from './delivery/sender.js';
import { createDeliveryWorker, type DeliveryTarget, type DeliveryWorker } from './delivery/worker.js';
import { createEndpointDirectory, type EndpointDirectory } from './endpoint-directory.js';
import { endpointRoutes } from './endpoint-routes.js';
import { effectiveRateLimit } from './endpoints.js';
import type { Notifier } from './notification.js';
import { createNotifier } from './notifier.js';

export interface DeliveryPartOptions {
  /** The durable queue. */
  deliveries: DeliveryStore;
  /** Where endpoints live (the `alert_endpoints` collection). */
  documents: DocumentStore;
  /** This instance's id: leases are taken in its name. */
  owner: string;
  /** Webhooks from configuration, as ALERT_WEBHOOKS lists them (`https://hooks.slack.com/…`, `alertmanager+http://am:9093`). */
  webhooks?: readonly string[];
  /** Standard Webhooks `whsec_…` secret the configured endpoints are signed with. */
  secret?: string;
  /** Judges every target: at endpoint creation, at enqueue and at connect time. Default: private and loopback refused. */
  egress?: EgressPolicy;
  /** Message templates per channel (or `default`) for firing and resolved notices. */
  templates?: TemplateOverrides;
  /** Delays between attempts (default Svix's: 5 s, 5 m, 30 m, 2 h, 5 h, 10 h, 10 h), ±jitter (0.2), the random source. */
  retry?: RetryPolicy;
  /** Deadline of one attempt. Default 10 000 ms. */
  timeoutMs?: number;
  /** How often each instance looks for due deliveries. Default 1000 ms. */
  pollMs?: number;
  /** Default: three attempt deadlines and 5 s. */
  leaseMs?: number;
  /** Deliveries worked at once per instance (default 32), and per endpoint (default 4). */
  concurrency?: number;
  perEndpoint?: number;
  /** CloudEvents `source` of the generic channel. */
  source?: string;
  clock?: Clock;
  logger?: Logger;
}

/** The delivery half of alerting, for `alertsModule` to compose. */
export interface DeliveryPart {
  notifier: Notifier & Pick<ReturnType<typeof createNotifier>, 'notifyEndpoint'>;
  endpoints: EndpointDirectory;
  worker: DeliveryWorker;
  routes: AnyRouteSpec[];
  loops: LoopSpec[];
  metrics(registry: MetricsRegistry): void;
  /** Writes the configured endpoints (once the app serves). */
  start(): Promise<void>;
  /** Lets sends in flight finish (up to `graceMs`), puts the rest back in the queue, closes connections. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Channels, endpoints and signed durable delivery as one part: a notifier that queues one delivery per endpoint,
 * the worker that sends them (every instance), the lease-expiry loop (one instance), the delivery and endpoint
 * routes, and their metrics.
 * @example const delivery = deliveryPart({ deliveries: stores.deliveries, documents: stores.documents, owner: instanceId(), webhooks, secret })
 */
export function deliveryPart(options: DeliveryPartOptions): DeliveryPart {
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'alerts');
  const egress = options.egress ?? createEgressPolicy();
  const timeoutMs = options.timeoutMs ?? 10_000;
  const schedule = options.retry?.scheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
  const endpoints = createEndpointDirectory({
    documents: options.documents,
    egress,
    clock,
    logger: log,
    ...(options.webhooks ? { configured: options.webhooks } : {}),
    ...(options.secret ? { secret: options.secret } : {}),
  });
  const renderer = createRenderer({ logger: log, ...(options.templates ? { templates: options.templates } : {}), ...(options.source ? { source: options.source } : {}) });
  const sender = createWebhookSender({ egress, timeoutMs, clock });
  let latency: Histogram<'outcome'> | undefined;

  const resolve = async (d: { endpoint: string; endpoint_id: string | null }): Promise<DeliveryTarget | { cancel: string }> => {
    if (d.endpoint_id === null) {
      const origin = URL.canParse(d.endpoint) ? new URL(d.endpoint).origin : null;
      return origin ? { key: origin, limit: null, secret: endpoints.keyOf(null) } : { cancel: 'its endpoint is not a URL' };
    }
    const e = await endpoints.get(d.endpoint_id);
    if (!e) return { cancel: `its endpoint ${d.endpoint_id} was removed` };
    if (!e.data.enabled) return { cancel: `its endpoint ${d.endpoint_id} is disabled (${e.data.disabled_reason})` };
    return { key: e.id, limit: effectiveRateLimit(e.data), secret: endpoints.keyOf(e.data) };
  };

  const worker = createDeliveryWorker({
    store: options.deliveries,
    owner: options.owner,
    clock,
    logger: log,
    leaseMs: options.leaseMs ?? timeoutMs * 3 + 5000,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.perEndpoint !== undefined ? { perTarget: options.perEndpoint } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    resolve,
    send: (d, target, signal) => sender.send(d, target.secret, signal),
    async onAttempt(d, _target, result, outcome) {
      if (result.latencyMs !== undefined) latency?.observe({ outcome: result.ok ? 'delivered' : 'failed' }, result.latencyMs / 1000);
      if (outcome.outcome === 'failed' && outcome.retryAt === null) {
        log.warn({ delivery_id: d.id, endpoint_id: d.endpoint_id, status_code: result.status, attempts: outcome.attempt.attempt }, `delivery ${d.id} is dead-lettered after ${outcome.attempt.attempt} attempts: ${outcome.attempt.error}`);
      }
      if (result.gone && d.endpoint_id !== null && (await endpoints.disable(d.endpoint_id, 'it answered 410 Gone'))) {
        await options.deliveries.cancel({ endpoint_id: d.endpoint_id, reason: 'its endpoint answered 410 Gone and was disabled', now: clock.now() });
      }
    },
  });
  const wake = () => worker.wake();

  const notifier = createNotifier({ deliveries: options.deliveries, endpoints, renderer, maxAttempts: attemptsFor(schedule), egress: egress.rules, onEnqueued: wake, clock, logger: log });

  // One stats read per scrape, shared by the gauges that show it.
  let statsRead: { at: number; stats: Promise<DeliveryStats> } | undefined;
  const stats = () => {
    const now = clock.now();
    if (!statsRead || now - statsRead.at > 500) statsRead = { at: now, stats: options.deliveries.stats(now) };
    return statsRead.stats;
  };

  return {
    notifier,
    endpoints,
    worker,
    routes: [...deliveryRoutes({ deliveries: options.deliveries, endpoints, onEnqueued: wake, clock }), ...endpointRoutes({ deliveries: options.deliveries, endpoints, notifier, onEnqueued: wake, clock })],
    loops: [
      { name: 'deliveries', intervalMs: options.pollMs ?? 1000, runOn: 'every', run: (signal) => worker.pump(signal) },
      { name: 'lease-expiry', intervalMs: 5000, run: () => options.deliveries.releaseExpired(clock.now()) },
    ],
    metrics(registry) {
      sharedMetric(registry, 'aetherlink_alert_deliveries', () => new Gauge({
        name: 'aetherlink_alert_deliveries',
        help: 'Alert deliveries by status',
        labelNames: ['status'] as const,
        registers: [registry],
        async collect() {
          const s = await stats();
          for (const status of DELIVERY_STATUSES) this.set({ status }, s.by_status[status]);
        },
      }));
      sharedMetric(registry, 'aetherlink_alert_delivery_queue_depth', () => new Gauge({
        name: 'aetherlink_alert_delivery_queue_depth',
        help: 'Alert deliveries not finished yet (pending, delivering, retrying)',
        registers: [registry],
        async collect() {
          const s = await stats();
          this.set(UNFINISHED_DELIVERY_STATUSES.reduce((n, status) => n + s.by_status[status], 0));
        },
      }));
      sharedMetric(registry, 'aetherlink_alert_delivery_oldest_due_age_seconds', () => new Gauge({
        name: 'aetherlink_alert_delivery_oldest_due_age_seconds',
        help: 'How long the oldest due alert delivery has waited for a worker (0 when none is due)',
        registers: [registry],
        async collect() {
          const s = await stats();
          this.set(s.oldest_due_at ? Math.max(0, (clock.now() - Date.parse(s.oldest_due_at)) / 1000) : 0);
        },
      }));
      latency = sharedMetric(registry, 'aetherlink_alert_delivery_attempt_duration_seconds', () => new Histogram({
        name: 'aetherlink_alert_delivery_attempt_duration_seconds',
        help: 'Alert delivery attempts by outcome, in seconds',
        labelNames: ['outcome'] as const,
        buckets: DURATION_BUCKETS,
        registers: [registry],
      }));
    },
    start: () => endpoints.start(),
    async close(graceMs) {
      await worker.close(graceMs);
      await sender.close();
    },
  };
}
