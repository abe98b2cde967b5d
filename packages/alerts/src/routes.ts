import { collection, defineRoute, PERMISSIONS, reply, systemClock, validationError, type AnyRouteSpec, type Clock, type DocumentStore, type EventStore, type Permission } from '@aetherlink/core';
import { z } from 'zod';
import { backtest } from './backtest.js';
import { alertStatesCollection } from './collections.js';
import type { AlertEvaluator } from './evaluator.js';
import { ruleNotFound, type RuleBook } from './rules.js';
import { previewSchema, ruleInputSchema } from './schemas.js';
import type { SilenceBook } from './silence-book.js';
import { silenceRoutes, templateRoutes } from './routes-extra.js';
import type { TemplateBook } from './templates.js';
import type { AlertRule } from './types.js';
import { alertView, alertViewSchema, backtestResultSchema, evaluationReportSchema, ruleViewSchema } from './views.js';

export interface AlertRoutesOptions {
  rules: RuleBook;
  silences: SilenceBook;
  templates: TemplateBook;
  evaluator: AlertEvaluator;
  documents: DocumentStore;
  /** Where backtests read stored events. */
  events: EventStore;
  /** A backtest's default step: the evaluation interval. Default 15 s. */
  evaluationIntervalMs?: number;
  repeatIntervalMs?: number;
  clock?: Clock;
  /** Default `ops:read` (DESIGN §3). */
  readPermission?: Permission;
  /** Default `ops:operate` (DESIGN §3). */
  operatePermission?: Permission;
}

const idParams = z.object({ id: z.string().min(1).max(512) });
const boolQuery = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');
const tags = ['alerts'];

/**
 * The alert rule routes (DESIGN §3–4): rules CRUD and enable/disable, alerts, manual evaluation, backtest preview,
 * silences and templates. Reads need `ops:read`, writes `ops:operate`.
 * @example await app.register(aetherlinkFastify, { service: 'cc', routes: alertRoutes({ rules, silences, templates, evaluator, documents, events: bus.store }) })
 */
export function alertRoutes(options: AlertRoutesOptions): AnyRouteSpec[] {
  const { rules, evaluator } = options;
  const read = options.readPermission ?? PERMISSIONS.opsRead;
  const operate = options.operatePermission ?? PERMISSIONS.opsOperate;
  const clock = options.clock ?? systemClock;
  const states = collection(options.documents, alertStatesCollection);
  const found = async (id: string) => (await rules.get(id)) ?? Promise.reject(ruleNotFound(id));
  const alertList = z.object({ count: z.number(), alerts: z.array(alertViewSchema) });

  return [
    defineRoute({
      method: 'POST',
      path: '/alerts/rules',
      openapi: { status: 201 },
      errors: [409],
      permission: operate,
      summary: 'Create an alert rule',
      tags,
      body: ruleInputSchema,
      response: ruleViewSchema,
      handler: async ({ body }) => {
        const rule = await rules.create(body);
        return reply(201, rule, { location: `/alerts/rules/${encodeURIComponent(rule.id)}` });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/rules',
      permission: read,
      summary: 'Alert rules, in creation order',
      tags,
      query: z.object({ enabled: boolQuery.optional(), tenant: z.string().min(1).max(200).optional() }),
      response: z.object({ count: z.number(), rules: z.array(ruleViewSchema) }),
      handler: async ({ query }) => {
        const list = await rules.list({ ...(query.enabled !== undefined ? { enabled: query.enabled } : {}), ...(query.tenant ? { tenant: query.tenant } : {}) });
        return { count: list.length, rules: list };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/rules/{id}',
      permission: read,
      summary: 'One alert rule',
      tags,
      params: idParams,
      response: ruleViewSchema,
      handler: ({ params }) => found(params.id),
    }),
    defineRoute({
      method: 'PUT',
      path: '/alerts/rules/{id}',
      errors: [409],
      permission: operate,
      summary: 'Replace an alert rule (every field; its alerts carry on under the new settings)',
      tags,
      params: idParams,
      body: ruleInputSchema,
      response: ruleViewSchema,
      handler: ({ params, body }) => rules.replace(params.id, body),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/alerts/rules/{id}/enabled',
      permission: operate,
      summary: 'Enable or disable an alert rule (a disabled rule’s firing alerts resolve at the next evaluation)',
      tags,
      params: idParams,
      body: z.strictObject({ enabled: z.boolean({ error: 'must be true or false' }) }),
      response: ruleViewSchema,
      handler: ({ params, body }) => rules.setEnabled(params.id, body.enabled),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/alerts/rules/{id}',
      permission: operate,
      summary: 'Remove an alert rule (404 when unknown; its firing alerts resolve at the next evaluation)',
      tags,
      params: idParams,
      response: z.object({ status: z.literal('ok'), id: z.string(), removed: z.literal(true) }),
      handler: async ({ params }) => {
        if (!(await rules.remove(params.id))) throw ruleNotFound(params.id);
        return { status: 'ok', id: params.id, removed: true };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/rules/{id}/alerts',
      permission: read,
      summary: 'The alerts of one rule (one per group): pending, firing, or recently resolved',
      tags,
      params: idParams,
      response: alertList,
      handler: async ({ params }) => {
        await found(params.id);
        const alerts = (await states.list({ where: { rule_id: params.id } })).map(alertView);
        return { count: alerts.length, alerts };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/alerts/active',
      permission: read,
      summary: 'Alerts by status: pending and firing by default',
      tags,
      query: z.object({ status: z.enum(['pending', 'firing', 'resolved'], { error: 'must be pending, firing or resolved' }).optional(), tenant: z.string().min(1).max(200).optional() }),
      response: alertList,
      handler: async ({ query }) => {
        const docs = query.status ? await states.list({ where: { status: query.status } }) : (await states.list()).filter((d) => d.data.status !== 'resolved');
        const alerts = docs.map(alertView).filter((a) => query.tenant === undefined || a.tenant === query.tenant);
        return { count: alerts.length, alerts };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/evaluate',
      permission: operate,
      summary: 'Evaluate every rule now (the background evaluator does it every ALERT_EVAL_INTERVAL_SECONDS)',
      tags,
      response: evaluationReportSchema,
      handler: () => evaluator.evaluate(),
    }),
    defineRoute({
      method: 'POST',
      path: '/alerts/rules/preview',
      errors: [404],
      permission: read,
      summary: 'Backtest a rule (saved or not) over the stored events of a past range on a virtual clock',
      description: 'Answers when it would have fired and resolved, and how many notices it would have sent, with the repeat interval and the silences stored now.',
      tags,
      body: previewSchema,
      response: backtestResultSchema,
      handler: async ({ body }) => {
        const now = clock.now();
        if (Date.parse(body.to) > now) throw validationError([{ field: 'to', message: 'must not be in the future', in: 'body' }], 'the preview is invalid');
        const rule: AlertRule = body.rule_id
          ? await found(body.rule_id)
          : { ...body.rule!, id: 'preview', name: body.rule!.name ?? 'preview', enabled: true, version: 0, created_at: new Date(now).toISOString(), updated_at: new Date(now).toISOString() };
        if (rule.problem) throw validationError([{ field: 'rule_id', message: `names a rule that cannot be evaluated (${rule.problem})`, in: 'body' }]);
        const result = await backtest({
          store: options.events,
          rule,
          from: Date.parse(body.from),
          to: Date.parse(body.to),
          stepMs: (body.step_seconds ?? (options.evaluationIntervalMs ?? 15_000) / 1000) * 1000,
          ...(body.use_silences ? { silences: await options.silences.all() } : {}),
          ...(options.repeatIntervalMs ? { repeatIntervalMs: options.repeatIntervalMs } : {}),
        });
        const { version: _v, created_at: _c, updated_at: _u, problem: _p, ...view } = rule;
        return { rule: { ...view, id: body.rule_id ?? null }, ...result };
      },
    }),
    ...silenceRoutes({ silences: options.silences, read, operate }),
    ...templateRoutes({ templates: options.templates, read, operate }),
  ];
}
