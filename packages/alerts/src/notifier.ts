import { decideHost, errorFields, loggerFor, systemClock, traceHeaders, type Clock, type DeliveryInput, type DeliveryRecord, type DeliveryStore, type EgressRules, type Logger, type StoredDocument } from '@aetherlink/core';
import type { Renderer } from './channels/index.js';
import type { EndpointDirectory } from './endpoint-directory.js';
import { wants, type AlertEndpoint } from './endpoints.js';
import type { AlertNotification, Notifier } from './notification.js';

export interface NotifierOptions {
  deliveries: DeliveryStore;
  endpoints: EndpointDirectory;
  renderer: Renderer;
  /** Attempts each delivery gets (the first plus one per retry delay). */
  maxAttempts: number;
  /** Judges each endpoint's host again at enqueue (the policy may be stricter than when it was made). */
  egress?: EgressRules;
  /** Called once deliveries were enqueued: the local worker sends them without waiting for its next pass. */
  onEnqueued?: () => void;
  clock?: Clock;
  logger?: Logger;
}

// A notification id becomes the Standard Webhooks `webhook-id` when it can stand in a header as it is.
const WEBHOOK_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * Turns each notification into one durable delivery per endpoint that wants it, rendered by that endpoint's
 * channel; `notify` resolves once they are all in the queue. Each delivery's `webhook-id` is the notification's id,
 * so a notice handed over twice (after a failure) or replayed reaches receivers as the same message, and each keeps
 * the trace it was queued in.
 * @example const notifier = createNotifier({ deliveries: stores.deliveries, endpoints, renderer: createRenderer(), maxAttempts: 8 })
 */
export function createNotifier(options: NotifierOptions): Notifier & { notifyEndpoint(endpoint: StoredDocument<AlertEndpoint>, n: AlertNotification): Promise<DeliveryRecord | null> } {
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'alerts');

  // One endpoint's delivery of a notification, or null (logged) when its host is refused or its message cannot be made.
  const inputFor = (e: StoredDocument<AlertEndpoint>, n: AlertNotification): DeliveryInput | null => {
    if (options.egress) {
      const decision = decideHost(options.egress, new URL(e.data.url).hostname);
      if (decision.outcome === 'refused') {
        log.warn({ endpoint_id: e.id, kind: decision.refusal.kind }, `alert endpoint ${e.id} is refused by the egress policy (${decision.refusal.reason}); nothing was queued for it`);
        return null;
      }
    }
    let rendered;
    try {
      rendered = options.renderer.render(e.data, n);
    } catch (error) {
      log.error({ endpoint_id: e.id, err: errorFields(error) }, `the ${e.data.channel} message for alert endpoint ${e.id} could not be rendered; nothing was queued for it`);
      return null;
    }
    // The trace this notification is queued in (the alert event's) is kept with the delivery: its attempts continue it.
    const headers = traceHeaders(rendered.contentType ? { 'content-type': rendered.contentType } : {});
    return {
      ...(n.notification_id !== undefined && WEBHOOK_ID.test(n.notification_id) ? { webhook_id: n.notification_id } : {}),
      endpoint: e.data.url,
      endpoint_id: e.id,
      payload: rendered.payload,
      headers,
      max_attempts: options.maxAttempts,
      event_type: n.status === 'firing' ? 'ops.alert.raised' : 'ops.alert.resolved',
      event_id: n.event_id,
      rule_id: n.rule.id,
      tenantid: n.rule.tenant,
    };
  };

  return {
    async notify(n) {
      const now = clock.now();
      const inputs = (await options.endpoints.list()).flatMap((e) => (wants(e.data, n) ? [inputFor(e, n)] : [])).filter((i) => i !== null);
      await Promise.all(inputs.map((input) => options.deliveries.enqueue(input, now)));
      if (inputs.length) options.onEnqueued?.();
      return { enqueued: inputs.length };
    },
    /** Queues a notification for one endpoint, whatever its filter says (a test message). */
    async notifyEndpoint(e, n) {
      const input = inputFor(e, n);
      if (!input) return null;
      const record = await options.deliveries.enqueue(input, clock.now());
      options.onEnqueued?.();
      return record;
    },
  };
}
