import {
  loggerFor,
  systemClock,
  type AnyRouteSpec,
  type Clock,
  type DeliveryStore,
  type DocumentStore,
  type EventBus,
  type Logger,
  type LoopSpec,
  type MetricsRegistry,
  type Module,
  type Permission,
  type ReadinessCheck,
} from '@aetherlink/core';
import type { RetryPolicy } from './delivery/schedule.js';
import { ALERT_EVENT_TYPES } from './events.js';
import { jsonWebhookSender } from './delivery/sender.js';
import { createDeliveryWorker, type DeliveryWorkerOptions } from './delivery/worker.js';
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
  documents: DocumentStore;
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

/** More of the module from elsewhere (the delivery half: its routes, loops, metrics). */
export interface AlertsModulePart {
  routes?: readonly AnyRouteSpec[];
  loops?: readonly LoopSpec[];
  metrics?(registry: MetricsRegistry): void;
  readiness?: readonly ReadinessCheck[];
  close?(): Promise<void> | void;
}

export interface AlertsModuleOptions {
  /** The durable delivery queue. */
  deliveries: DeliveryStore;
  /** This instance's id: delivery leases are taken, and alert notices queued, in its name. */
  owner: string;
  /** Sends one delivery. Default: JSON POST with the Standard Webhooks `webhook-id`. */
  send?: DeliveryWorkerOptions['send'];
  /** How often each instance looks for due deliveries. Default 1000 ms. */
  pollMs?: number;
  retry?: RetryPolicy;
  /** Alert rules and their evaluation; without it the module only works the delivery queue. */
  rules?: AlertRulesOptions;
  /** Where firing, repeat and resolved notices go (the delivery half's `createNotifier`). */
  notifier?: Notifier;
  /** Routes, loops and metrics composed into this module. */
  parts?: readonly AlertsModulePart[];
  clock?: Clock;
  logger?: Logger;
}

export interface AlertsModule extends Module {
  /** Present with `rules`. */
  readonly evaluator: AlertEvaluator | undefined;
  readonly rules: RuleBook | undefined;
  readonly silences: SilenceBook | undefined;
  readonly templates: TemplateBook | undefined;
}

/**
 * Alerting as a module: one instance of the fleet evaluates the rules (leader loop) and every instance answers the
 * rule, silence and template routes; every instance works the delivery queue (each lease goes to one of them),
 * and one returns deliveries whose lease ran out.
 * @example createModuleHost({ modules: [alertsModule({ deliveries: stores.deliveries, owner: instance, rules: { bus, documents: stores.documents }, logger })] })
 */
export function alertsModule(options: AlertsModuleOptions): AlertsModule {
  const clock = options.clock ?? systemClock;
  const logger = loggerFor(options.logger, 'alerts');
  const worker = createDeliveryWorker({
    store: options.deliveries,
    send: options.send ?? jsonWebhookSender(),
    owner: options.owner,
    clock,
    logger,
    ...(options.retry ? { retry: options.retry } : {}),
  });
  const parts = options.parts ?? [];
  const sink: RuleMetrics = {};
  const r = options.rules;
  const rules = r ? createRuleBook({ documents: r.documents }) : undefined;
  const silences = r ? createSilenceBook({ documents: r.documents, clock }) : undefined;
  const templates = rules ? createTemplateBook({ rules, ...(r?.templates ? { templates: r.templates } : {}) }) : undefined;
  const evaluator = r
    ? createAlertEvaluator({
        documents: r.documents,
        bus: r.bus,
        owner: options.owner,
        clock,
        logger,
        ...(options.notifier ? { notifier: options.notifier } : {}),
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
          documents: r.documents,
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
    evaluator,
    rules,
    silences,
    templates,
    routes: [...ruleRoutes, ...parts.flatMap((p) => p.routes ?? [])],
    loops: [
      ...ruleLoops,
      { name: 'deliveries', intervalMs: options.pollMs ?? 1000, runOn: 'every', run: (signal) => worker.runOnce(signal) },
      { name: 'lease-expiry', intervalMs: 5000, run: () => options.deliveries.releaseExpired(clock.now()) },
      ...parts.flatMap((p) => p.loops ?? []),
    ],
    eventTypes: ALERT_EVENT_TYPES,
    readiness: parts.flatMap((p) => p.readiness ?? []),
    metrics(registry) {
      if (r) registerRuleMetrics(registry, r.documents, sink);
      for (const p of parts) p.metrics?.(registry);
    },
    async close() {
      evaluator?.close();
      for (const p of [...parts].reverse()) await p.close?.();
    },
  };
}
