export { alertsModule } from './module.js';
export type { AlertsModuleOptions } from './module.js';
export { createDeliveryWorker } from './delivery/worker.js';
export type { DeliveryWorker, DeliveryWorkerOptions } from './delivery/worker.js';
export { nextRetryAt, DEFAULT_RETRY_SCHEDULE_MS } from './delivery/schedule.js';
export type { RetryPolicy, SendResult } from './delivery/schedule.js';
export { jsonWebhookSender } from './delivery/sender.js';
export { ALERT_EVENT_TYPES } from './events.js';
export type { AlertNotification, Notifier } from './notification.js';
