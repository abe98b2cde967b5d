export { alertsModule } from './module.js';
export type { AlertsModuleOptions } from './module.js';
export { createDeliveryWorker } from './delivery/worker.js';
export type { DeliveryWorker, DeliveryWorkerOptions } from './delivery/worker.js';
export { nextRetryAt, DEFAULT_RETRY_SCHEDULE_MS } from './delivery/schedule.js';
export type { RetryPolicy, SendResult } from './delivery/schedule.js';
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
// The delivery half: channels, endpoints, signed durable delivery, its routes.
export type { DeliveryTarget } from './delivery/worker.js';
export { parseRetrySchedule, attemptsFor, MAX_RETRY_AFTER_MS } from './delivery/schedule.js';
export { createWebhookSender, MAX_RESPONSE_BYTES } from './delivery/sender.js';
export type { WebhookSender, WebhookSenderOptions } from './delivery/sender.js';
export { signWebhook, verifyWebhook, webhookHeaders, webhookSecretKey, generateWebhookSecret } from './delivery/signing.js';
export { bookToken, createRateLimiter, CHANNEL_RATE_LIMITS, SLACK_RATE_LIMIT } from './delivery/rate-limit.js';
export type { RateLimit, RateLimiter } from './delivery/rate-limit.js';
export { deliveryPart } from './delivery-part.js';
export type { DeliveryPart, DeliveryPartOptions } from './delivery-part.js';
export { createNotifier } from './notifier.js';
export type { NotifierOptions } from './notifier.js';
export { deliveryRoutes, deliverySummarySchema, MAX_BULK_REPLAY } from './delivery-routes.js';
export type { DeliveryRoutesOptions } from './delivery-routes.js';
export { endpointRoutes, MAX_DEAD_LETTER_REPLAY } from './endpoint-routes.js';
export type { EndpointRoutesOptions } from './endpoint-routes.js';
export { createEndpointDirectory, vetConfiguredWebhooks, REMOVED_FROM_CONFIG } from './endpoint-directory.js';
export type { EndpointDirectory, EndpointDirectoryOptions, EndpointInput, EndpointPatch } from './endpoint-directory.js';
export {
  alertEndpointsCollection,
  alertEndpointSchema,
  endpointFilterSchema,
  endpointView,
  endpointViewSchema,
  effectiveRateLimit,
  healthOf,
  wants,
} from './endpoints.js';
export type { AlertEndpoint, EndpointFilter, EndpointHealth, EndpointView } from './endpoints.js';
export {
  CHANNELS,
  CHANNEL_NAMES,
  createRenderer,
  parseWebhookTarget,
  redactUrl,
  slackChannel,
  teamsChannel,
  discordChannel,
  webhookChannel,
  alertmanagerChannel,
} from './channels/index.js';
export type { Channel, ChannelMessage, ChannelName, RenderedMessage, Renderer, RendererOptions, WebhookTarget } from './channels/index.js';
export { compileTemplate, viewOf, DEFAULT_TEMPLATES } from './channels/templates.js';
export type { MessageTemplate, MessageView, TemplateOverrides, TemplateText } from './channels/templates.js';
