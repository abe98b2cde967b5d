import { createHash } from 'node:crypto';
import {
  AetherError,
  collection,
  createEgressPolicy,
  decideHost,
  errorFields,
  isAetherError,
  loggerFor,
  systemClock,
  validationError,
  type Clock,
  type DocumentStore,
  type EgressPolicy,
  type Logger,
  type StoredDocument,
} from '@aetherlink/core';
import { parseWebhookTarget, type WebhookTarget } from './channels/index.js';
import { generateWebhookSecret, webhookSecretKey } from './delivery/signing.js';
import { alertEndpointsCollection, type AlertEndpoint, type EndpointFilter } from './endpoints.js';

/** Why a configured endpoint stopped: it left ALERT_WEBHOOKS (it comes back when it is listed again). */
export const REMOVED_FROM_CONFIG = 'no longer listed in ALERT_WEBHOOKS';

export interface EndpointDirectoryOptions {
  documents: DocumentStore;
  /** Webhooks from configuration (ALERT_WEBHOOKS entries): endpoints with `source: config`, signed with `secret`. */
  configured?: readonly string[];
  /** The `whsec_` secret configured endpoints are signed with. */
  secret?: string;
  /** Vets URLs given to the API (looked up) and configured ones (by host). Default: private and loopback refused. */
  egress?: EgressPolicy;
  /** How long a read of every endpoint is reused. Default 1000 ms. */
  cacheMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** What the API may set on an endpoint. */
export interface EndpointInput {
  url: string;
  channel?: AlertEndpoint['channel'];
  format?: AlertEndpoint['format'];
  secret?: string;
  rate_limit?: AlertEndpoint['rate_limit'];
  filter?: Partial<EndpointFilter>;
  description?: string | null;
}

export type EndpointPatch = Partial<Pick<AlertEndpoint, 'enabled' | 'rate_limit' | 'description'>> & { secret?: string; filter?: Partial<EndpointFilter> };

const DEFAULT_FILTER: EndpointFilter = { severities: null, rule_ids: null, tenant: null, send_resolved: true };
const VET_LOOKUP_MS = 2000;
const configId = (entry: string) => `cfg-${createHash('sha256').update(entry.trim()).digest('hex').slice(0, 16)}`;

/**
 * Checks configured webhooks before anything starts: each must parse and its host must not be refused by the egress
 * policy. Throws `config_invalid` naming `ALERT_WEBHOOKS[i]`, never the URL.
 * @example vetConfiguredWebhooks(['slack+https://hooks.slack.com/…'], egress)
 */
export function vetConfiguredWebhooks(entries: readonly string[], egress: EgressPolicy): WebhookTarget[] {
  return entries.map((entry, i) => {
    const field = `ALERT_WEBHOOKS[${i}]`;
    try {
      const target = parseWebhookTarget(entry, field);
      const decision = decideHost(egress.rules, new URL(target.url).hostname);
      if (decision.outcome === 'refused') throw validationError([{ field, message: `may not be called: ${decision.refusal.reason}` }], `${field} may not be called`);
      return target;
    } catch (error) {
      const errors = isAetherError(error) ? error.errors : undefined;
      throw new AetherError('config_invalid', `${field}: ${errors?.[0]?.message ?? (error as Error).message}`, { errors: errors ?? [{ field, message: 'is invalid' }] });
    }
  });
}

/**
 * The endpoints notifications go to: those of configuration (kept in step with it) and those made through the API,
 * in the `alert_endpoints` collection, read through a short cache.
 * @example const directory = createEndpointDirectory({ documents: stores.documents, configured: ['https://hooks.slack.com/…'], secret })
 */
export function createEndpointDirectory(options: EndpointDirectoryOptions) {
  const endpoints = collection(options.documents, alertEndpointsCollection);
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'alerts');
  const egress = options.egress ?? createEgressPolicy();
  const cacheMs = options.cacheMs ?? 1000;
  const moduleKey = options.secret ? webhookSecretKey(options.secret, 'secret') : null;
  const configured = (options.configured ?? []).map((entry, i) => ({ id: configId(entry), target: vetConfiguredWebhooks([entry], egress)[0]!, i }));
  let cached: { at: number; list: StoredDocument<AlertEndpoint>[]; byId: Map<string, StoredDocument<AlertEndpoint>> } | undefined;
  let synced: Promise<void> | undefined;
  const iso = () => new Date(clock.now()).toISOString();

  // Configured endpoints are made once (several instances may race: the first create wins), re-enabled when
  // listed again, and disabled when they leave the list.
  const sync = async () => {
    const wanted = new Set(configured.map((c) => c.id));
    for (const { id, target } of configured) {
      const existing = await endpoints.get(id);
      if (!existing) {
        const data: AlertEndpoint = { ...target, secret: null, enabled: true, disabled_reason: null, disabled_at: null, rate_limit: null, filter: DEFAULT_FILTER, source: 'config', description: null };
        await endpoints.create({ id, data }).catch((error: unknown) => {
          if (!(isAetherError(error) && error.code === 'conflict')) throw error;
        });
      } else if (!existing.data.enabled && existing.data.disabled_reason === REMOVED_FROM_CONFIG) {
        await endpoints.update(id, (e) => ({ ...e, enabled: true, disabled_reason: null, disabled_at: null }));
      }
    }
    for (const doc of await endpoints.list({ where: { source: 'config', enabled: true } })) {
      if (!wanted.has(doc.id)) await endpoints.update(doc.id, (e) => ({ ...e, enabled: false, disabled_reason: REMOVED_FROM_CONFIG, disabled_at: iso() }));
    }
  };
  const ensureSynced = () =>
    (synced ??= sync().catch((error: unknown) => {
      synced = undefined;
      throw error;
    }));

  const self = {
    /** Every endpoint, enabled or not (cached for `cacheMs`). */
    async list(): Promise<StoredDocument<AlertEndpoint>[]> {
      await ensureSynced();
      if (cached && clock.now() - cached.at < cacheMs) return cached.list;
      const list = await endpoints.list();
      cached = { at: clock.now(), list, byId: new Map(list.map((d) => [d.id, d])) };
      return list;
    },
    /** One endpoint; a miss in the cache is read from the store (made on another instance a moment ago). */
    async get(id: string): Promise<StoredDocument<AlertEndpoint> | null> {
      await self.list();
      return cached?.byId.get(id) ?? (await endpoints.get(id));
    },
    /** Drops the cache (after a write here). */
    invalidate() {
      cached = undefined;
    },
    /** The key an endpoint's deliveries are signed with: its own secret, else the module's, else none. */
    keyOf(e: AlertEndpoint | null): Buffer | null {
      return e?.secret ? webhookSecretKey(e.secret) : moduleKey;
    },
    hasModuleSecret: moduleKey !== null,
    async create(input: EndpointInput): Promise<{ endpoint: StoredDocument<AlertEndpoint>; secret: string | undefined }> {
      const target = parseWebhookTarget(input.url, 'url', input.channel);
      if (input.secret !== undefined) webhookSecretKey(input.secret, 'secret');
      await self.vet(target.url, 'url');
      const generated = input.secret === undefined ? generateWebhookSecret() : undefined;
      const data: AlertEndpoint = {
        url: target.url,
        channel: target.channel,
        format: input.format ?? target.format,
        secret: input.secret ?? generated!,
        enabled: true,
        disabled_reason: null,
        disabled_at: null,
        rate_limit: input.rate_limit ?? null,
        filter: { ...DEFAULT_FILTER, ...input.filter },
        source: 'api',
        description: input.description ?? null,
      };
      const endpoint = await endpoints.create({ data });
      self.invalidate();
      return { endpoint, secret: generated };
    },
    /** Changes an endpoint; re-enabling one clears why it was disabled. Null when it does not exist. */
    async update(id: string, patch: EndpointPatch): Promise<StoredDocument<AlertEndpoint> | null> {
      if (patch.secret !== undefined) webhookSecretKey(patch.secret, 'secret');
      const doc = await endpoints.update(id, (e) => ({
        ...e,
        ...(patch.rate_limit !== undefined ? { rate_limit: patch.rate_limit } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.secret !== undefined ? { secret: patch.secret } : {}),
        ...(patch.filter !== undefined ? { filter: { ...e.filter, ...patch.filter } } : {}),
        ...(patch.enabled === true && !e.enabled ? { enabled: true, disabled_reason: null, disabled_at: null } : {}),
        ...(patch.enabled === false && e.enabled ? { enabled: false, disabled_reason: 'disabled by an operator', disabled_at: iso() } : {}),
      }));
      self.invalidate();
      return doc;
    },
    /** Stops an endpoint for `reason` (a 410, say); false when it was already stopped or is unknown. */
    async disable(id: string, reason: string): Promise<boolean> {
      let changed = false;
      await endpoints.update(id, (e) => {
        changed = e.enabled;
        return e.enabled ? { ...e, enabled: false, disabled_reason: reason, disabled_at: iso() } : e;
      });
      self.invalidate();
      if (changed) log.warn({ endpoint_id: id, reason }, `alert endpoint ${id} was disabled: ${reason}`);
      return changed;
    },
    async remove(id: string): Promise<boolean> {
      const done = await endpoints.remove(id);
      self.invalidate();
      return done;
    },
    /** Refuses a URL the egress policy refuses (looked up now); a name that does not resolve yet passes. */
    async vet(url: string, field: string): Promise<void> {
      const decision = await egress.check(url, { timeoutMs: VET_LOOKUP_MS });
      if (decision.allowed || decision.kind === 'unresolved') return;
      throw new AetherError('egress_refused', `${field} may not be called: ${decision.reason}`, { errors: [{ field, message: `may not be called: ${decision.reason}` }], details: { kind: decision.kind } });
    },
    /** Writes the configured endpoints now (start-up), logging rather than failing when the store is away. */
    async start(): Promise<void> {
      await ensureSynced().catch((error: unknown) => log.error({ err: errorFields(error) }, 'the configured alert endpoints could not be written yet; they are tried again on first use'));
    },
  };
  return self;
}

export type EndpointDirectory = ReturnType<typeof createEndpointDirectory>;
