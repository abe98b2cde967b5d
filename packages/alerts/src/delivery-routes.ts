import {
  AetherError,
  DELIVERY_STATUSES,
  UNFINISHED_DELIVERY_STATUSES,
  defineRoute,
  PERMISSIONS,
  systemClock,
  type AnyRouteSpec,
  type Clock,
  type DeliveryStatus,
  type DeliveryStore,
  type FieldError,
} from '@aetherlink/core';
import { z } from 'zod';
import { redactUrl } from './channels/index.js';
import { attemptSchema, deliverySummarySchema, pageShape, replayResultSchema, summaryOf } from './delivery-schemas.js';
import type { EndpointDirectory } from './endpoint-directory.js';

export { deliverySummarySchema };

export interface DeliveryRoutesOptions {
  deliveries: DeliveryStore;
  endpoints: EndpointDirectory;
  /** Called after a replay enqueued something (the local worker sends it at once). */
  onEnqueued?: () => void;
  clock?: Clock;
}

/** Most ids one bulk replay takes. */
export const MAX_BULK_REPLAY = 500;

/**
 * Checks every id can be replayed (it exists; its endpoint still exists and is enabled) before anything is
 * enqueued: all of them, or none and an error naming each one that cannot.
 * @example await replayable(deliveries, endpoints, ['d-1', 'd-2'], (i) => `ids[${i}]`)
 */
async function replayable(deliveries: DeliveryStore, endpoints: EndpointDirectory, ids: readonly string[], field: (i: number) => string): Promise<FieldError[]> {
  const { deliveries: found } = await deliveries.history({ ids, limit: ids.length });
  const byId = new Map(found.map((d) => [d.id, d]));
  const errors: FieldError[] = [];
  for (const [i, id] of ids.entries()) {
    const d = byId.get(id);
    if (!d) {
      errors.push({ field: field(i), message: `no delivery has the id "${id}"`, in: 'body' });
      continue;
    }
    if (d.endpoint_id === null) continue;
    const endpoint = await endpoints.get(d.endpoint_id);
    if (!endpoint) errors.push({ field: field(i), message: `its endpoint ${d.endpoint_id} was removed`, in: 'body' });
    else if (!endpoint.data.enabled) errors.push({ field: field(i), message: `its endpoint ${d.endpoint_id} is disabled (${endpoint.data.disabled_reason}); enable it first`, in: 'body' });
  }
  return errors;
}

/**
 * The delivery routes of DESIGN §4: the queue, stats, history (status, since, limit, cursor), one delivery with its
 * attempts, replay of one (same `webhook-id`, fresh attempts) and bulk replay of many in one request.
 * @example routes.push(...deliveryRoutes({ deliveries: stores.deliveries, endpoints }))
 */
export function deliveryRoutes(options: DeliveryRoutesOptions): AnyRouteSpec[] {
  const { deliveries, endpoints } = options;
  const clock = options.clock ?? systemClock;
  const read = PERMISSIONS.opsRead;
  const tags = ['alerts'];
  const page = (q: { status?: DeliveryStatus[] | undefined; since?: string | undefined; endpoint_id?: string | undefined; tenant_id?: string | undefined; limit: number; cursor?: string | undefined }, fallback?: readonly DeliveryStatus[]) =>
    deliveries.history({
      limit: q.limit,
      ...(q.status ?? fallback ? { status: q.status ?? fallback! } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.endpoint_id !== undefined ? { endpoint_id: q.endpoint_id } : {}),
      ...(q.tenant_id !== undefined ? { tenantid: q.tenant_id } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    });
  const replayNow = async (ids: readonly string[]) => {
    const { replayed } = await deliveries.replay(ids, clock.now());
    if (replayed.length) options.onEnqueued?.();
    return replayed.map((r) => ({ original_id: r.replay_of!, new_id: r.id }));
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/alerts/deliveries',
      permission: read,
      summary: 'The delivery queue: deliveries not finished yet (pending, delivering, retrying), newest first',
      tags,
      query: z.object(pageShape(clock, UNFINISHED_DELIVERY_STATUSES)),
      response: z.object({ deliveries: z.array(deliverySummarySchema), count: z.number(), next_cursor: z.string().nullable() }),
      handler: async ({ query }) => {
        const result = await page(query, UNFINISHED_DELIVERY_STATUSES);
        return { deliveries: result.deliveries.map(summaryOf), count: result.deliveries.length, next_cursor: result.next_cursor };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/deliveries/stats',
      permission: read,
      summary: 'Deliveries by status, the queue depth, and how long the oldest due delivery has waited',
      tags,
      response: z.object({
        total: z.number(),
        by_status: z.record(z.string(), z.number()),
        due: z.number(),
        queue_depth: z.number().describe('deliveries not finished: pending, delivering and retrying'),
        oldest_pending_at: z.string().nullable(),
        oldest_due_at: z.string().nullable(),
        oldest_due_age_seconds: z.number().describe('how long the oldest due delivery has waited for a worker; 0 when none is due'),
        endpoints: z.object({ total: z.number(), enabled: z.number(), disabled: z.number() }),
      }),
      handler: async () => {
        const now = clock.now();
        const [stats, list] = await Promise.all([deliveries.stats(now), endpoints.list()]);
        const enabled = list.filter((e) => e.data.enabled).length;
        return {
          ...stats,
          queue_depth: UNFINISHED_DELIVERY_STATUSES.reduce((n, s) => n + stats.by_status[s], 0),
          oldest_due_age_seconds: stats.oldest_due_at ? Math.max(0, (now - Date.parse(stats.oldest_due_at)) / 1000) : 0,
          endpoints: { total: list.length, enabled, disabled: list.length - enabled },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/deliveries/history',
      permission: read,
      summary: 'Every delivery, newest first, by status and time, in pages',
      tags,
      query: z.object(pageShape(clock, DELIVERY_STATUSES)),
      response: z.object({ deliveries: z.array(deliverySummarySchema), next_cursor: z.string().nullable() }),
      handler: async ({ query }) => {
        const result = await page(query);
        return { deliveries: result.deliveries.map(summaryOf), next_cursor: result.next_cursor };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/deliveries/replay-bulk',
      permission: PERMISSIONS.opsOperate,
      summary: 'Replays many deliveries in one request: all of them, or none and an error naming each id that cannot be',
      description: 'Each replay is a new delivery with fresh attempts and the same webhook-id, so receivers can tell it is the same message.',
      tags,
      body: z
        .object({
          ids: z
            .array(z.string().min(1).max(200))
            .min(1, 'must name at least one delivery')
            .max(MAX_BULK_REPLAY, `may name at most ${MAX_BULK_REPLAY} deliveries`)
            .refine((ids) => new Set(ids).size === ids.length, 'must not name a delivery twice'),
        })
        .strict(),
      response: z.object({ status: z.literal('ok'), count: z.number(), results: z.array(replayResultSchema) }),
      handler: async ({ body }) => {
        const errors = await replayable(deliveries, endpoints, body.ids, (i) => `ids[${i}]`);
        if (errors.length) throw new AetherError('validation_failed', `${errors.length} of ${body.ids.length} deliveries cannot be replayed; nothing was replayed`, { errors });
        const results = await replayNow(body.ids);
        return { status: 'ok' as const, count: results.length, results };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/deliveries/{id}',
      permission: read,
      summary: 'One delivery with its body and every attempt',
      tags,
      params: z.object({ id: z.string().min(1).max(200) }),
      response: deliverySummarySchema.extend({ payload: z.unknown(), headers: z.record(z.string(), z.string()), attempt_log: z.array(attemptSchema) }),
      handler: async ({ params }) => {
        const found = await deliveries.get(params.id);
        if (!found) throw new AetherError('not_found', `no delivery has the id "${params.id}"`, { details: { id: params.id } });
        return { ...found, endpoint: redactUrl(found.endpoint) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/deliveries/{id}/replay',
      errors: [409],
      permission: PERMISSIONS.opsOperate,
      summary: 'Replays one delivery: a new delivery with fresh attempts and the same webhook-id',
      tags,
      params: z.object({ id: z.string().min(1).max(200) }),
      response: z.object({ status: z.literal('ok'), new_id: z.string(), original_id: z.string() }),
      handler: async ({ params }) => {
        const [error] = await replayable(deliveries, endpoints, [params.id], () => 'id');
        if (error) throw new AetherError(error.message.startsWith('no delivery') ? 'not_found' : 'conflict', `delivery ${params.id} cannot be replayed: ${error.message}`, { errors: [{ ...error, in: 'params' }] });
        const [result] = await replayNow([params.id]);
        return { status: 'ok' as const, new_id: result!.new_id, original_id: result!.original_id };
      },
    }),
  ];
}
