import { defineCollection, severitySchema, type StoredDocument } from '@aetherlink/core';
import { z } from 'zod';
import { CHANNEL_NAMES } from './channels/types.js';
import { CHANNEL_RATE_LIMITS, type RateLimit } from './delivery/rate-limit.js';
import type { AlertNotification } from './notification.js';
import { redactUrl } from './channels/index.js';

/** Which notifications an endpoint gets; every field set must match. */
export const endpointFilterSchema = z.object({
  severities: z.array(severitySchema).min(1).max(4).nullable().default(null).describe('only rules of these severities (default: all)'),
  rule_ids: z.array(z.string().min(1).max(200)).min(1).max(500).nullable().default(null).describe('only these rules (default: all)'),
  tenant: z.string().min(1).max(200).nullable().default(null).describe("only this tenant's rules (default: every tenant's and global ones)"),
  send_resolved: z.boolean().default(true).describe('also send resolved notices (default true)'),
});

export const rateLimitSchema = z.object({
  per_second: z.number().positive().max(10_000),
  burst: z.number().int().min(1).max(10_000),
});

/** An endpoint as the `alert_endpoints` collection keeps it. `secret` never leaves the server after it is set. */
export const alertEndpointSchema = z.object({
  /** The URL deliveries are POSTed to. */
  url: z.string().min(1).max(2048),
  channel: z.enum(CHANNEL_NAMES),
  format: z.enum(['blocks', 'text']),
  /** Its own `whsec_` secret; null signs with the module's secret (endpoints from configuration). */
  secret: z.string().nullable(),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  disabled_at: z.string().nullable(),
  /** Null: the channel's preset (Slack 1/s). */
  rate_limit: rateLimitSchema.nullable(),
  filter: endpointFilterSchema,
  /** `config` endpoints come from ALERT_WEBHOOKS and follow it; `api` ones are managed through the routes. */
  source: z.enum(['api', 'config']),
  description: z.string().max(500).nullable(),
});

export type AlertEndpoint = z.infer<typeof alertEndpointSchema>;
export type EndpointFilter = z.infer<typeof endpointFilterSchema>;

/**
 * The `alert_endpoints` collection, filterable by `enabled` and `source`.
 * @example const endpoints = collection(stores.documents, alertEndpointsCollection)
 */
export const alertEndpointsCollection = defineCollection({ name: 'alert_endpoints', schema: alertEndpointSchema, indexes: ['enabled', 'source'] });

/**
 * The rate an endpoint is held to: its own, else its channel's preset, else none.
 * @example effectiveRateLimit(endpoint) // { per_second: 1, burst: 1 } for Slack
 */
export const effectiveRateLimit = (e: Pick<AlertEndpoint, 'rate_limit' | 'channel'>): RateLimit | null => e.rate_limit ?? CHANNEL_RATE_LIMITS[e.channel] ?? null;

/**
 * Whether an endpoint takes a notification: enabled, and its filter matches.
 * @example endpoints.filter((e) => wants(e.data, notification))
 */
export function wants(e: AlertEndpoint, n: AlertNotification): boolean {
  const f = e.filter;
  return (
    e.enabled &&
    (n.status === 'firing' || f.send_resolved) &&
    (f.severities === null || f.severities.includes(n.rule.severity)) &&
    (f.rule_ids === null || f.rule_ids.includes(n.rule.id)) &&
    (f.tenant === null || f.tenant === n.rule.tenant)
  );
}

/** How an endpoint has fared lately, from its latest attempts. */
export interface EndpointHealth {
  /** healthy: the last attempt succeeded · failing: it failed · unknown: no attempts yet · disabled. */
  status: 'healthy' | 'failing' | 'unknown' | 'disabled';
  /** Attempts the figures below are taken over (the latest, at most the window). */
  attempts: number;
  /** Successful attempts / attempts, 0–1; null without attempts. */
  success_rate: number | null;
  /** Failed attempts since the last success (counted within the window). */
  consecutive_failures: number;
  last_success_at: string | null;
  last_failure: { at: string; status_code: number | null; error: string } | null;
}

/**
 * An endpoint's health from its latest attempts, newest first. Pure.
 * @example healthOf(await deliveries.attempts({ endpoint_id, limit: 100 }), endpoint.enabled)
 */
export function healthOf(attempts: readonly { at: string; status_code: number | null; error: string | null }[], enabled: boolean): EndpointHealth {
  const firstSuccess = attempts.findIndex((a) => a.error === null);
  const failure = attempts.find((a) => a.error !== null);
  const ok = attempts.filter((a) => a.error === null).length;
  return {
    status: !enabled ? 'disabled' : attempts.length === 0 ? 'unknown' : attempts[0]!.error === null ? 'healthy' : 'failing',
    attempts: attempts.length,
    success_rate: attempts.length ? Math.round((ok / attempts.length) * 10_000) / 10_000 : null,
    consecutive_failures: firstSuccess === -1 ? attempts.length : firstSuccess,
    last_success_at: firstSuccess === -1 ? null : attempts[firstSuccess]!.at,
    last_failure: failure ? { at: failure.at, status_code: failure.status_code, error: failure.error! } : null,
  };
}

/** An endpoint as routes show it: the URL cut to its host and first path segment, the secret only as `secret_set`. */
export const endpointViewSchema = z.object({
  id: z.string(),
  url: z.string().describe('scheme, host and first path segment: webhook URLs carry tokens'),
  channel: z.enum(CHANNEL_NAMES),
  format: z.enum(['blocks', 'text']),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable(),
  disabled_at: z.string().nullable(),
  rate_limit: rateLimitSchema.nullable().describe('the rate deliveries are held to (its own, or the channel preset); null: none'),
  filter: endpointFilterSchema,
  source: z.enum(['api', 'config']),
  description: z.string().nullable(),
  secret_set: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

export type EndpointView = z.infer<typeof endpointViewSchema>;

/**
 * The public view of a stored endpoint.
 * @example endpointView(doc).secret_set // true
 */
export function endpointView(doc: StoredDocument<AlertEndpoint>, moduleSecret: boolean): EndpointView {
  const e = doc.data;
  return {
    id: doc.id,
    url: redactUrl(e.url),
    channel: e.channel,
    format: e.format,
    enabled: e.enabled,
    disabled_reason: e.disabled_reason,
    disabled_at: e.disabled_at,
    rate_limit: effectiveRateLimit(e),
    filter: e.filter,
    source: e.source,
    description: e.description,
    secret_set: e.secret !== null || moduleSecret,
    created_at: doc.created_at,
    updated_at: doc.updated_at,
  };
}
