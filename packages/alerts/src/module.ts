import type { Module } from '@aetherlink/core';
import { deliveryPart, type DeliveryPart, type DeliveryPartOptions } from './delivery-part.js';
import { ALERT_EVENT_TYPES } from './events.js';

export type AlertsModuleOptions = DeliveryPartOptions;

export interface AlertsModule extends Module {
  /** Where notifications go: one durable delivery per matching endpoint. */
  readonly notifier: DeliveryPart['notifier'];
  readonly delivery: DeliveryPart;
}

/**
 * Alerting as a module: endpoints and their routes, the delivery routes, every instance working the delivery
 * queue (each lease goes to one of them), and one instance of the fleet returning deliveries whose lease ran out.
 * @example createModuleHost({ modules: [alertsModule({ deliveries: stores.deliveries, documents: stores.documents, owner: instance, logger })] })
 */
export function alertsModule(options: AlertsModuleOptions): AlertsModule {
  const delivery = deliveryPart(options);
  return {
    name: 'alerts',
    notifier: delivery.notifier,
    delivery,
    routes: delivery.routes,
    loops: delivery.loops,
    eventTypes: ALERT_EVENT_TYPES,
    metrics: (registry) => delivery.metrics(registry),
    start: () => delivery.start(),
    close: () => delivery.close(),
  };
}
