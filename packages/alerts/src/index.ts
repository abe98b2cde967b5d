export { alertsModule } from './module.js';
export type { AlertsModuleOptions } from './module.js';
export { createDeliveryWorker } from './delivery/worker.js';
export type { DeliveryWorker, DeliveryWorkerOptions } from './delivery/worker.js';
export { nextRetryAt, DEFAULT_RETRY_SCHEDULE_MS } from './delivery/schedule.js';
export type { RetryPolicy, SendResult } from './delivery/schedule.js';
export { jsonWebhookSender } from './delivery/sender.js';
export { ALERT_EVENT_TYPES } from './events.js';
export type { AlertNotification, Notifier } from './notification.js';
export type { AlertsModule, AlertRulesOptions, AlertsModulePart } from './module.js';
export { createAlertEvaluator } from './evaluator.js';
export type { AlertEvaluator, AlertEvaluatorOptions, EvaluationReport } from './evaluator.js';
export { decideAlert, summaryOf } from './decide.js';
export type { AlertDecision, AlertObservation, DecideContext } from './decide.js';
export { createRuleBook, parseRuleInput } from './rules.js';
export type { RuleBook } from './rules.js';
export { createSilenceBook } from './silence-book.js';
export type { SilenceBook, SilenceView } from './silence-book.js';
export { silenceActive, silenceMatches, silencedBy, inRecurringWindow } from './silences.js';
export type { SilenceTarget } from './silences.js';
export { BUILTIN_TEMPLATES, createTemplateBook } from './templates.js';
export type { TemplateBook } from './templates.js';
export { backtest } from './backtest.js';
export type { BacktestOptions, BacktestResult, BacktestEpisode } from './backtest.js';
export { alertRoutes } from './routes.js';
export type { AlertRoutesOptions } from './routes.js';
export { silenceRoutes, templateRoutes } from './routes-extra.js';
export { alertRulesCollection, alertStatesCollection, alertSilencesCollection, readRule } from './collections.js';
export { ruleInputSchema, ruleSpecSchema, silenceInputSchema, previewSchema, materializeSchema } from './schemas.js';
export type { RuleInput, SilenceInput, PreviewInput } from './schemas.js';
export { ruleViewSchema, alertViewSchema, silenceViewSchema, templateViewSchema, evaluationReportSchema, backtestResultSchema, alertView } from './views.js';
export type { AlertView } from './views.js';
export type {
  AlertRule,
  AlertRuleSpec,
  AlertState,
  AlertStatus,
  AlertTransition,
  AlertTemplate,
  AlertRuleSnapshot,
  PendingNotice,
  RecurringWindow,
  Silence,
  SilenceMatchers,
  Weekday,
} from './types.js';
