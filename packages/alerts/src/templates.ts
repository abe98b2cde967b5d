import { AetherError, fieldErrorsFromZod, validationError } from '@aetherlink/core';
import { materializeSchema } from './schemas.js';
import type { RuleBook } from './rules.js';
import type { AlertRule, AlertTemplate } from './types.js';

type TemplateRule = AlertTemplate['rule'];
const base = { for_seconds: 0, keep_firing_for_seconds: 0, repeat_interval_seconds: null, group_by: [], source: null } satisfies Partial<TemplateRule>;

/**
 * The built-in rule templates (the seed's Phase VIII set): each becomes a real rule with
 * `POST /alerts/templates/{id}/materialize`. CPU, disk and API-error templates count events an app publishes
 * (`host.cpu.high`, `host.disk.low`, `api.request.failed`); the others count AetherLink's own events.
 * @example BUILTIN_TEMPLATES.map((t) => t.id) // ['high-cpu', 'api-errors', 'disk-space', 'autoheal-failure-spike', 'ai-fallback-failures', 'service-health-failures']
 */
export const BUILTIN_TEMPLATES: readonly AlertTemplate[] = Object.freeze([
  {
    id: 'high-cpu',
    name: 'High CPU',
    description: 'A host reported CPU over its limit at least 3 times in 5 minutes, for 2 minutes running; one alert per host (source).',
    tenant: null,
    rule: { ...base, severity: 'warning', event_type: 'host.cpu.high', window_seconds: 300, threshold: 3, for_seconds: 120, group_by: ['source'] },
  },
  {
    id: 'api-errors',
    name: 'API errors',
    description: 'At least 10 failed API requests in 5 minutes from one service (source); keeps firing 5 minutes after it calms down.',
    tenant: null,
    rule: { ...base, severity: 'error', event_type: 'api.request.failed', window_seconds: 300, threshold: 10, keep_firing_for_seconds: 300, group_by: ['source'] },
  },
  {
    id: 'disk-space',
    name: 'Disk space low',
    description: 'A host reported low disk space; stays firing 10 minutes after the last report, re-notified every hour.',
    tenant: null,
    rule: { ...base, severity: 'critical', event_type: 'host.disk.low', window_seconds: 600, threshold: 1, keep_firing_for_seconds: 600, repeat_interval_seconds: 3600, group_by: ['source'] },
  },
  {
    id: 'autoheal-failure-spike',
    name: 'Auto-heal failure spike',
    description: 'At least 3 failed restarts of one service in 5 minutes (the seed’s example rule).',
    tenant: null,
    rule: { ...base, severity: 'error', event_type: 'autoheal.failed', window_seconds: 300, threshold: 3, group_by: ['data.service'] },
  },
  {
    id: 'ai-fallback-failures',
    name: 'AI fallback failures',
    description: 'At least 5 requests in 10 minutes for which every AI provider failed.',
    tenant: null,
    rule: { ...base, severity: 'error', event_type: 'ai.fallback.failed', window_seconds: 600, threshold: 5 },
  },
  {
    id: 'service-health-failures',
    name: 'Service health failures',
    description: 'A registered service failed at least 3 health probes in 5 minutes, for a minute running; one alert per service.',
    tenant: null,
    rule: { ...base, severity: 'warning', event_type: 'service.health.failed', window_seconds: 300, threshold: 3, for_seconds: 60, group_by: ['data.name'] },
  },
]);

/** Templates: the built-ins plus an app's own (global or per tenant), and materialization into rules. */
export interface TemplateBook {
  /** Global templates, plus the tenant's own when `tenant` is given. */
  list(tenant?: string): AlertTemplate[];
  get(id: string): AlertTemplate | null;
  /** Creates a rule from a template, with `overrides` replacing its fields (`name` defaults to the template id). */
  materialize(id: string, overrides?: unknown): Promise<AlertRule>;
}

/**
 * The template book; an app's templates with a built-in id replace the built-in.
 * @example const templates = createTemplateBook({ rules, templates: [{ id: 'acme-orders', tenant: 'acme', … }] })
 */
export function createTemplateBook(options: { rules: RuleBook; templates?: readonly AlertTemplate[] }): TemplateBook {
  const all = new Map<string, AlertTemplate>();
  for (const t of [...BUILTIN_TEMPLATES, ...(options.templates ?? [])]) all.set(t.id, t);
  return {
    list: (tenant) => [...all.values()].filter((t) => t.tenant === null || t.tenant === tenant),
    get: (id) => all.get(id) ?? null,
    async materialize(id, overrides = {}) {
      const template = all.get(id);
      if (!template) throw new AetherError('not_found', `no alert rule template has the id "${id}"`, { details: { id } });
      const parsed = materializeSchema.safeParse(overrides);
      if (!parsed.success) throw validationError(fieldErrorsFromZod(parsed.error, { in: 'body' }), 'the overrides are invalid');
      const o = parsed.data;
      if (template.tenant !== null && o.tenant !== undefined && o.tenant !== template.tenant) {
        throw validationError([{ field: 'tenant', message: `must be "${template.tenant}" (this template belongs to that tenant) or left out`, in: 'body' }]);
      }
      const tenant = template.tenant ?? o.tenant ?? null;
      const name = o.name ?? (tenant ? `${template.id}-${tenant}` : template.id);
      const defined = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      return options.rules.create({ ...template.rule, description: template.description, ...defined, tenant, name });
    },
  };
}
