export { createRouter } from './router.js';

export { anthropicProvider, ANTHROPIC_DEFAULT_MODEL } from './providers/anthropic.js';
export type { AnthropicProviderOptions } from './providers/anthropic.js';
export { openaiProvider, OPENAI_DEFAULT_MODEL } from './providers/openai.js';
export type { OpenAIProviderOptions } from './providers/openai.js';
export { ollamaProvider, OLLAMA_DEFAULT_MODEL } from './providers/ollama.js';
export type { OllamaProviderOptions } from './providers/ollama.js';
export { customProvider } from './providers/custom.js';
export type { CustomProviderOptions } from './providers/custom.js';
export type { VendorProviderOptions } from './providers/options.js';
export type { HttpTransportOptions } from './providers/http.js';

export { ProviderError, isProviderError } from './errors.js';
export type { ProviderErrorOptions } from './errors.js';
export { classifyStatus, classifyNetworkError, parseRetryAfter, isRetryable, countsAsFailure } from './classify.js';
export type { HttpFailure } from './classify.js';
export { decideRetry, backoff } from './retry-policy.js';
export type { RetryInput, RetryDecision } from './retry-policy.js';
export { buildChain, findFallbackProblems, orderChain } from './plan.js';
export type { OrderSnapshot } from './plan.js';
export { createBreaker } from './breaker.js';
export type { ProviderBreaker, BreakerOptions } from './breaker.js';
export { LatencyWindow, ProviderStats, toHealth } from './stats.js';

export {
  defineIntent,
  extractLeadIntent,
  summarizeActivityIntent,
  classifyIntentIntent,
  BUILTIN_INTENTS,
  extractJson,
  outputCheck,
} from './intents.js';
export {
  leadSchema,
  providerSettingsSchema,
  breakerSettingsSchema,
  hedgeSettingsSchema,
  descriptorSchema,
  descriptorProviderSchema,
  orchestrateBodySchema,
  chatCompletionRequestSchema,
} from './schemas.js';
export type { Lead, Descriptor, DescriptorProvider, ChatCompletionRequest } from './schemas.js';

export { parseDescriptor, loadDescriptor, descriptorConfig, routerFromDescriptor } from './descriptor.js';
export type { DescriptorConfigOptions, DescriptorRouterOptions } from './descriptor.js';
export { parseRouterEnv, routerFromEnv, routerEnvSchema, ROUTER_ENV_VARIABLES } from './env.js';
export type { RouterEnv, ParseRouterEnvOptions, RouterFromEnvOptions } from './env.js';
export { routerOptionsFromConfig } from './router-config.js';
export type { RouterConfig, ProviderConfig, RouterConfigOptions } from './router-config.js';

export { AI_EVENT_TYPES, aiProviderUsedSchema, aiFallbackUsedSchema, aiFallbackFailedSchema, aiSummaryCreatedSchema } from './events.js';
export type { AiProviderUsedData, AiFallbackUsedData, AiFallbackFailedData, AiSummaryCreatedData } from './events.js';
export { redactSecrets } from './redact.js';

export { aiRoutes } from './routes.js';
export type { AiRoutesOptions } from './routes.js';
export {
  toChatRequest,
  preferredProvider,
  finishReason,
  openAIUsage,
  toCompletion,
  toChunk,
  listModels,
  openAIError,
  gatewayError,
} from './gateway.js';
export type { OpenAIErrorBody } from './gateway.js';

export type {
  ChatMessage,
  ChatRequest,
  ChatResponse,
  ChatStreamEvent,
  Usage,
  ProviderCallContext,
  Provider,
  ProviderFunction,
  BreakerSettings,
  ProviderSettings,
  HedgeSettings,
  Intent,
  AnyIntent,
  FailureKind,
  Attempt,
  RouteResult,
  ProviderFailure,
  AllFailedDetails,
  BreakerState,
  ProviderHealth,
  ProviderInfo,
  CallOptions,
  RoutedStream,
  RoutingStrategy,
  RouterOptions,
  Router,
} from './types.js';
export { aiRouterModule } from './module.js';
export type { AiRouterModuleOptions } from './module.js';
