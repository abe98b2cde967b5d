import { loggerFor, systemClock, type Clock, type DeliveryStore, type Logger, type Module } from '@aetherlink/core';
import type { RetryPolicy } from './delivery/schedule.js';
import { ALERT_EVENT_TYPES } from './events.js';
import { jsonWebhookSender } from './delivery/sender.js';
import { createDeliveryWorker, type DeliveryWorkerOptions } from './delivery/worker.js';

export interface AlertsModuleOptions {
  /** The durable delivery queue. */
  deliveries: DeliveryStore;
  /** This instance's id: delivery leases are taken in its name. */
  owner: string;
  /** Sends one delivery. Default: JSON POST with the Standard Webhooks `webhook-id`. */
  send?: DeliveryWorkerOptions['send'];
  /** How often each instance looks for due deliveries. Default 1000 ms. */
  pollMs?: number;
  retry?: RetryPolicy;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Alerting as a module: every instance works the delivery queue (each lease goes to one of them), and one
 * instance of the fleet returns deliveries whose lease ran out.
 * @example createModuleHost({ modules: [alertsModule({ deliveries: stores.deliveries, owner: instance, logger })] })
 */
export function alertsModule(options: AlertsModuleOptions): Module {
  const clock = options.clock ?? systemClock;
  const logger = loggerFor(options.logger, 'alerts');
  const worker = createDeliveryWorker({
    store: options.deliveries,
    send: options.send ?? jsonWebhookSender(),
    owner: options.owner,
    clock,
    logger,
    ...(options.retry ? { retry: options.retry } : {}),
  });
  return {
    name: 'alerts',
    routes: [],
    loops: [
      { name: 'deliveries', intervalMs: options.pollMs ?? 1000, runOn: 'every', run: (signal) => worker.runOnce(signal) },
      { name: 'lease-expiry', intervalMs: 5000, run: () => options.deliveries.releaseExpired(clock.now()) },
    ],
    eventTypes: ALERT_EVENT_TYPES,
    close: () => undefined,
  };
}
