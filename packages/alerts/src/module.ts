import {
  AetherError,
  loggerFor,
  systemClock,
  type AnyRouteSpec,
  type DocumentStore,
  type EventBus,
  type LoopSpec,
  type MetricsRegistry,
  type Module,
  type Permission,
  type ReadinessCheck,
} from '@aetherlink/core';
import { deliveryPart, type DeliveryPart, type DeliveryPartOptions } from './delivery-part.js';
import { ALERT_EVENT_TYPES } from './events.js';
import { createAlertEvaluator, type AlertEvaluator } from './evaluator.js';
import { registerRuleMetrics, type RuleMetrics } from './metrics.js';
import type { Notifier } from './notification.js';
import { alertRoutes } from './routes.js';
import { createRuleBook, type RuleBook } from './rules.js';
import { createSilenceBook, type SilenceBook } from './silence-book.js';
import { createTemplateBook, type TemplateBook } from './templates.js';
import type { AlertTemplate } from './types.js';

/** The rules half: rules, their evaluation, silences and templates over the app's bus and DocumentStore. */
export interface AlertRulesOptions {
  bus: EventBus;
  /** Where rules, alert states and silences live. Default: the module's `documents`. */
  documents?: DocumentStore;
  /** How often one instance of the fleet evaluates every rule (ALERT_EVAL_INTERVAL_SECONDS). Default 15 000 ms. */
  evaluationIntervalMs?: number;
  /** Re-notify a still-firing alert this often, unless its rule says otherwise. Default 4 h. */
  repeatIntervalMs?: number;
  /** How long a resolved alert stays listed. Default 1 h. */
  resolvedRetentionMs?: number;
  /** Groups one rule may hold. Default 1000. */
  maxGroupsPerRule?: number;
  /** `source` of `ops.alert.*` events. Default `aetherlink-alerts`. */
  source?: string;
  /** The app's own templates (global, or with a `tenant`), beside the built-ins. */
  templates?: readonly AlertTemplate[];
  readPermission?: Permission;
  operatePermission?: Permission;
}

/** More of the module from elsewhere: routes, loops and metrics an app composes into it. */
export interface AlertsModulePart {
  routes?: readonly AnyRouteSpec[];
  loops?: readonly LoopSpec[];
  metrics?(registry: MetricsRegistry): void;
  readiness?: readonly ReadinessCheck[];
  close?(): Promise<void> | void;
}

export interface AlertsModuleOptions extends Omit<DeliveryPartOptions, 'documents'> {
  /** Where endpoints (and, by default, rules, alert states and silences) live. Default: `rules.documents`. */
  documents?: DocumentStore;
  /** Alert rules and their evaluation; without it the module only works the delivery queue and its endpoints. */
  rules?: AlertRulesOptions;
  /** Where the evaluator's firing, repeat and resolved notices go. Default: the delivery part (one signed delivery per endpoint). */
  notifier?: Notifier;
  /** Routes, loops and metrics composed into this module. */
  parts?: readonly AlertsModulePart[];
}

export interface AlertsModule extends Module {
  /** The delivery part's notifier: one durable delivery per matching endpoint. */
  readonly notifier: DeliveryPart['notifier'];
  readonly delivery: DeliveryPart;
  /** Present with `rules`. */
  readonly evaluator: AlertEvaluator | undefined;
  readonly rules: RuleBook | undefined;
  readonly silences: SilenceBook | undefined;
  readonly templates: TemplateBook | undefined;
}

/**
 * Alerting as a module: one instance of the fleet evaluates the rules (leader loop) and every instance answers the
 * rule, silence, template, endpoint and delivery routes; every instance works the delivery queue (each lease goes
 * to one of them), and one returns deliveries whose lease ran out.
 * @example createModuleHost({ modules: [alertsModule({ deliveries: stores.deliveries, documents: stores.documents, owner: instance, rules: { bus }, webhooks, secret, logger })] })
 */
export function alertsModule(options: AlertsModuleOptions): AlertsModule {
  const { rules: r, notifier: notifierOverride, parts = [], ...rest } = options;
  const documents = options.documents ?? r?.documents;
  if (!documents) throw new AetherError('config_invalid', 'alertsModule needs `documents` (or `rules.documents`): endpoints live there');
  const clock = options.clock ?? systemClock;
  const delivery = deliveryPart({ ...rest, documents });
  const ruleDocuments = r?.documents ?? documents;
  const sink: RuleMetrics = {};
  const rules = r ? createRuleBook({ documents: ruleDocuments }) : undefined;
  const silences = r ? createSilenceBook({ documents: ruleDocuments, clock }) : undefined;
  const templates = rules ? createTemplateBook({ rules, ...(r?.templates ? { templates: r.templates } : {}) }) : undefined;
  const evaluator = r
    ? createAlertEvaluator({
        documents: ruleDocuments,
        bus: r.bus,
        owner: options.owner,
        clock,
        notifier: notifierOverride ?? delivery.notifier,
        logger: loggerFor(options.logger, 'alerts'),
        ...(r.source ? { source: r.source } : {}),
        ...(r.repeatIntervalMs ? { repeatIntervalMs: r.repeatIntervalMs } : {}),
        ...(r.resolvedRetentionMs ? { resolvedRetentionMs: r.resolvedRetentionMs } : {}),
        ...(r.maxGroupsPerRule ? { maxGroupsPerRule: r.maxGroupsPerRule } : {}),
        onNotice: (outcome) => sink.notices?.inc({ outcome }),
      })
    : undefined;
  const intervalMs = r?.evaluationIntervalMs ?? 15_000;

  const ruleLoops: LoopSpec[] = evaluator
    ? [
        {
          name: 'alert-evaluator',
          intervalMs,
          runOn: 'leader',
          run: async (signal) => {
            const started = clock.now();
            await evaluator.evaluate({ signal, term: signal });
            sink.evaluation?.observe((clock.now() - started) / 1000);
          },
        },
      ]
    : [];
  const ruleRoutes =
    r && rules && silences && templates && evaluator
      ? alertRoutes({
          rules,
          silences,
          templates,
          evaluator,
          documents: ruleDocuments,
          events: r.bus.store,
          evaluationIntervalMs: intervalMs,
          clock,
          ...(r.repeatIntervalMs ? { repeatIntervalMs: r.repeatIntervalMs } : {}),
          ...(r.readPermission ? { readPermission: r.readPermission } : {}),
          ...(r.operatePermission ? { operatePermission: r.operatePermission } : {}),
        })
      : [];

  return {
    name: 'alerts',
    notifier: delivery.notifier,
    delivery,
    evaluator,
    rules,
    silences,
    templates,
    routes: [...ruleRoutes, ...delivery.routes, ...parts.flatMap((p) => p.routes ?? [])],
    loops: [...ruleLoops, ...delivery.loops, ...parts.flatMap((p) => p.loops ?? [])],
    eventTypes: ALERT_EVENT_TYPES,
    readiness: parts.flatMap((p) => p.readiness ?? []),
    metrics(registry) {
      if (r) registerRuleMetrics(registry, ruleDocuments, sink);
      delivery.metrics(registry);
      for (const p of parts) p.metrics?.(registry);
    },
    start: () => delivery.start(),
    async close() {
      evaluator?.close();
      for (const p of [...parts].reverse()) await p.close?.();
      await delivery.close();
    },
  };
}
