import { errorFields, parseTraceparent, runWithTrace, type CloudEvent, type Collection, type EventBus, type Logger } from '@aetherlink/core';
import type { Notifier } from '../notification.js';
import type { AlertState, PendingNotice } from '../types.js';

/** What the outbox needs to act. */
export interface OutboxContext {
  states: Collection<AlertState>;
  bus: EventBus;
  notifier: Notifier | undefined;
  /** `source` of the events it publishes. */
  source: string;
  logger: Logger;
}

// A silenced raise and the firing notice sent when the silence ends share a notification id; what they publish differs.
const keyOf = (item: PendingNotice) => `${item.notification.notification_id}|${item.publish ?? ''}`;

/** What one flush did. */
export interface FlushOutcome {
  sent: number;
  silenced: number;
  failed: number;
}

/**
 * Acts on an alert's queued notices, in order: publishes the event (its id is the episode's `:raised` or
 * `:resolved`, so publishing twice stores one), hands the notification to the notifier unless silenced, then takes the done notices out of the
 * document. A failure stops at that notice; it stays queued and the next tick tries again, so a notice is
 * delivered at least once and, thanks to its stable ids, recorded once.
 * @example await flushOutbox(ctx, doc.id, doc.data.outbox)
 */
export async function flushOutbox(ctx: OutboxContext, id: string, items: readonly PendingNotice[]): Promise<FlushOutcome> {
  const outcome: FlushOutcome = { sent: 0, silenced: 0, failed: 0 };
  const done = new Set<string>();
  for (const item of items) {
    const n = item.notification;
    try {
      let published: CloudEvent | null = null;
      if (item.publish) {
        const tenant = n.rule.tenant ?? undefined;
        const { event } = await ctx.bus.publish({
          id: `${n.episode_id}:${item.publish === 'ops.alert.raised' ? 'raised' : 'resolved'}`,
          type: item.publish,
          source: ctx.source,
          time: item.queued_at,
          severity: item.publish === 'ops.alert.raised' ? n.rule.severity : 'info',
          subject: n.rule.name,
          ...(tenant ? { tenantid: tenant } : {}),
          data: {
            rule_id: n.rule.id,
            rule_name: n.rule.name,
            episode_id: n.episode_id,
            group: n.group,
            count: n.count,
            threshold: n.threshold,
            window_seconds: n.window_seconds,
            started_at: n.started_at,
            ended_at: n.ended_at,
            silenced: !item.notify && item.publish === 'ops.alert.raised',
            summary: n.summary,
          },
        });
        published = event;
      }
      // Deliveries continue the trace of the event they announce (the tick's own when it published it).
      const notifier = ctx.notifier;
      if (item.notify && notifier) await runWithTrace(parseTraceparent(published?.traceparent), () => notifier.notify({ ...n, event_id: published?.id ?? null }));
      if (item.notify) outcome.sent++;
      else outcome.silenced++;
      done.add(keyOf(item));
    } catch (error) {
      outcome.failed++;
      ctx.logger.warn(
        { err: errorFields(error), alert: id, notification_id: n.notification_id, status: n.status },
        `could not publish or notify ${n.status} of alert rule "${n.rule.name}"; it stays queued and is tried again next tick`,
      );
      break;
    }
  }
  if (done.size > 0) {
    await ctx.states.update(id, (data) => ({ ...data, outbox: data.outbox.filter((i) => !done.has(keyOf(i))) }));
  }
  return outcome;
}
