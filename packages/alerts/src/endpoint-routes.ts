import { AetherError, defineRoute, isAetherError, PERMISSIONS, reply, severitySchema, systemClock, timeParam, type AnyRouteSpec, type Clock, type DeliveryStore, type StoredDocument } from '@aetherlink/core';
import { z } from 'zod';
import { parseWebhookTarget } from './channels/index.js';
import { CHANNEL_NAMES } from './channels/types.js';
import { webhookSecretKey } from './delivery/signing.js';
import type { EndpointDirectory } from './endpoint-directory.js';
import { endpointView, endpointViewSchema, healthOf, rateLimitSchema, type AlertEndpoint } from './endpoints.js';
import type { createNotifier } from './notifier.js';

export interface EndpointRoutesOptions {
  deliveries: DeliveryStore;
  endpoints: EndpointDirectory;
  /** Queues test alerts (`POST /alerts/endpoints/{id}/test`). */
  notifier: Pick<ReturnType<typeof createNotifier>, 'notifyEndpoint'>;
  onEnqueued?: () => void;
  clock?: Clock;
  /** Attempts an endpoint's health is judged on. Default 100. */
  healthWindow?: number;
}

/** Most dead letters one "replay since" request enqueues. */
export const MAX_DEAD_LETTER_REPLAY = 5000;

const healthSchema = z.object({
  status: z.enum(['healthy', 'failing', 'unknown', 'disabled']),
  attempts: z.number(),
  success_rate: z.number().nullable(),
  consecutive_failures: z.number(),
  last_success_at: z.string().nullable(),
  last_failure: z.object({ at: z.string(), status_code: z.number().nullable(), error: z.string() }).nullable(),
});
const withHealth = endpointViewSchema.extend({ health: healthSchema });

const filterInput = z
  .object({
    severities: z.array(severitySchema).min(1).max(4).nullable().optional(),
    rule_ids: z.array(z.string().min(1).max(200)).min(1).max(500).nullable().optional(),
    tenant: z.string().min(1).max(200).nullable().optional(),
    send_resolved: z.boolean().optional(),
  })
  .strict();
// Checked with the other fields, so one answer names every bad field; the handler reads it again with `channel`.
const urlInput = z
  .string()
  .min(1)
  .max(2048)
  .superRefine((url, ctx) => {
    try {
      parseWebhookTarget(url, 'url');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (isAetherError(error) && error.errors?.[0]?.message) || 'is not a webhook URL' });
    }
  })
  .describe('http(s) URL, optionally prefixed by a channel: slack+https://…, alertmanager+http://am:9093');
const secretInput = z
  .string()
  .min(1)
  .max(300)
  .superRefine((secret, ctx) => {
    try {
      webhookSecretKey(secret);
    } catch (error) {
      // The message names the expected shape, never the value.
      ctx.addIssue({ code: 'custom', message: (isAetherError(error) && error.errors?.[0]?.message) || 'is not a Standard Webhooks secret' });
    }
  })
  .describe('a Standard Webhooks secret, whsec_ + base64; never shown again');
const idParams = z.object({ id: z.string().min(1).max(200) });

const notFound = (id: string) => new AetherError('not_found', `no alert endpoint has the id "${id}"`, { details: { id } });
const clean = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };

/**
 * The alert endpoint routes: list with health, one endpoint, create (the generated secret is answered once),
 * change, remove, and replay of every dead letter of an endpoint since a time.
 * @example routes.push(...endpointRoutes({ deliveries: stores.deliveries, endpoints }))
 */
export function endpointRoutes(options: EndpointRoutesOptions): AnyRouteSpec[] {
  const { deliveries, endpoints } = options;
  const clock = options.clock ?? systemClock;
  const window = options.healthWindow ?? 100;
  const tags = ['alerts'];
  const view = async (doc: StoredDocument<AlertEndpoint>) => ({
    ...endpointView(doc, endpoints.hasModuleSecret),
    health: healthOf(await deliveries.attempts({ endpoint_id: doc.id, limit: window }), doc.data.enabled),
  });
  const existing = async (id: string) => {
    const doc = await endpoints.get(id);
    if (!doc) throw notFound(id);
    return doc;
  };

  return [
    defineRoute({
      method: 'GET',
      path: '/alerts/endpoints',
      permission: PERMISSIONS.opsRead,
      summary: 'Alert endpoints with their health: success rate, consecutive failures, last failure, disabled by a 410',
      tags,
      response: z.object({ endpoints: z.array(withHealth), count: z.number() }),
      handler: async () => {
        const list = await Promise.all((await endpoints.list()).map(view));
        return { endpoints: list, count: list.length };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/endpoints',
      openapi: { status: 201 },
      permission: PERMISSIONS.opsOperate,
      summary: 'Adds an endpoint; without a secret one is generated and answered this once',
      description: 'The channel follows from the URL (hooks.slack.com, *.webhook.office.com, discord.com/api/webhooks; else generic JSON) or a prefix such as alertmanager+http://am:9093, unless `channel` names it.',
      tags,
      body: z
        .object({
          url: urlInput,
          channel: z.enum(CHANNEL_NAMES).optional(),
          format: z.enum(['blocks', 'text']).optional().describe('Slack: Block Kit (default) or plain text'),
          secret: secretInput.optional(),
          rate_limit: rateLimitSchema.nullable().optional().describe("null or left out: the channel's preset (Slack 1/s)"),
          filter: filterInput.optional(),
          description: z.string().max(500).nullable().optional(),
        })
        .strict(),
      response: z.object({ endpoint: withHealth, secret: z.string().optional().describe('the generated secret; only in this answer') }),
      handler: async ({ body }) => {
        const { endpoint, secret } = await endpoints.create({ ...clean(body), ...(body.filter ? { filter: clean(body.filter) } : {}) });
        return reply(201, { endpoint: await view(endpoint), ...(secret ? { secret } : {}) });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/endpoints/{id}',
      permission: PERMISSIONS.opsRead,
      summary: 'One alert endpoint with its health',
      tags,
      params: idParams,
      response: withHealth,
      handler: async ({ params }) => view(await existing(params.id)),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/alerts/endpoints/{id}',
      permission: PERMISSIONS.opsOperate,
      summary: 'Changes an endpoint: enable or disable it (re-enabling clears a 410), its secret, rate limit, filter or description',
      tags,
      params: idParams,
      body: z
        .object({
          enabled: z.boolean().optional(),
          secret: secretInput.optional(),
          rate_limit: rateLimitSchema.nullable().optional(),
          filter: filterInput.optional(),
          description: z.string().max(500).nullable().optional(),
        })
        .strict(),
      response: withHealth,
      handler: async ({ params, body }) => {
        const doc = await endpoints.update(params.id, { ...clean(body), ...(body.filter ? { filter: clean(body.filter) } : {}) });
        if (!doc) throw notFound(params.id);
        if (body.enabled === false) await deliveries.cancel({ endpoint_id: params.id, reason: 'the endpoint was disabled by an operator', now: clock.now() });
        return view(doc);
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/alerts/endpoints/{id}',
      errors: [409],
      permission: PERMISSIONS.opsOperate,
      summary: 'Removes an endpoint made through the API and cancels its waiting deliveries',
      tags,
      params: idParams,
      response: z.object({ status: z.literal('ok'), cancelled: z.number() }),
      handler: async ({ params }) => {
        const doc = await existing(params.id);
        if (doc.data.source === 'config') throw new AetherError('conflict', `alert endpoint ${params.id} comes from ALERT_WEBHOOKS: remove it there, or disable it here`);
        await endpoints.remove(params.id);
        return { status: 'ok' as const, cancelled: await deliveries.cancel({ endpoint_id: params.id, reason: 'the endpoint was removed', now: clock.now() }) };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/endpoints/{id}/test',
      openapi: { status: 202 },
      errors: [409],
      permission: PERMISSIONS.opsOperate,
      summary: 'Queues a test alert for one endpoint: rendered by its channel, signed and delivered like any other',
      tags,
      params: idParams,
      response: z.object({ status: z.literal('ok'), delivery_id: z.string(), webhook_id: z.string() }),
      handler: async ({ params }) => {
        const doc = await existing(params.id);
        if (!doc.data.enabled) throw new AetherError('conflict', `alert endpoint ${params.id} is disabled (${doc.data.disabled_reason}); enable it first`);
        const now = new Date(clock.now()).toISOString();
        const queued = await options.notifier.notifyEndpoint(doc, {
          status: 'firing',
          episode_id: `test|${now}`,
          rule: { id: 'aetherlink-test', name: 'AetherLink test alert', severity: 'info', tenant: null },
          group: {},
          count: 1,
          threshold: 1,
          window_seconds: 60,
          started_at: now,
          ended_at: null,
          event_id: null,
          summary: 'A test alert from AetherLink: this endpoint receives alerts.',
        });
        if (!queued) throw new AetherError('conflict', `no test alert could be queued for alert endpoint ${params.id}; the server log says why`);
        return reply(202, { status: 'ok', delivery_id: queued.id, webhook_id: queued.webhook_id });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/endpoints/{id}/replay-dead-letters',
      errors: [409],
      permission: PERMISSIONS.opsOperate,
      summary: 'Replays every dead letter of an endpoint created since a time (same webhook-ids, fresh attempts)',
      tags,
      params: idParams,
      body: z.object({ since: z.string().min(1).max(64).describe('ISO 8601 time') }).strict(),
      response: z.object({ status: z.literal('ok'), count: z.number(), results: z.array(z.object({ original_id: z.string(), new_id: z.string() })), truncated: z.boolean() }),
      handler: async ({ params, body }) => {
        const doc = await existing(params.id);
        if (!doc.data.enabled) throw new AetherError('conflict', `alert endpoint ${params.id} is disabled (${doc.data.disabled_reason}); enable it first`);
        const since = timeParam(body.since, 'since');
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await deliveries.history({ status: 'dead_letter', endpoint_id: params.id, since, limit: 500, ...(cursor ? { cursor } : {}) });
          ids.push(...page.deliveries.map((d) => d.id));
          cursor = page.next_cursor ?? undefined;
        } while (cursor && ids.length < MAX_DEAD_LETTER_REPLAY);
        const chosen = ids.slice(0, MAX_DEAD_LETTER_REPLAY).reverse();
        const results: { original_id: string; new_id: string }[] = [];
        for (let i = 0; i < chosen.length; i += 500) {
          const { replayed } = await deliveries.replay(chosen.slice(i, i + 500), clock.now());
          results.push(...replayed.map((r) => ({ original_id: r.replay_of!, new_id: r.id })));
        }
        if (results.length) options.onEnqueued?.();
        return { status: 'ok' as const, count: results.length, results, truncated: ids.length > MAX_DEAD_LETTER_REPLAY || cursor !== undefined };
      },
    }),
  ];
}
