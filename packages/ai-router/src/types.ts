import type { Clock, EventBus, Logger } from '@aetherlink/core';
import type { z } from 'zod';

/** One turn of a conversation. `system` turns become Anthropic's `system` field. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** What the router asks a provider for, in one vendor-neutral shape. */
export interface ChatRequest {
  messages: ChatMessage[];
  /** Overrides the provider's configured model for this call. */
  model?: string;
  /** Most tokens to generate. Anthropic requires one; its client defaults to 1024. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  /** Ask for one JSON object: OpenAI `response_format`, Ollama `format`, a prompt rule for Anthropic. */
  json?: boolean;
}

/** Tokens one answer used, as the provider reported them. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

/** A provider's complete answer. */
export interface ChatResponse {
  text: string;
  model?: string;
  usage?: Usage;
  finish_reason?: string;
}

/** One event of a streamed answer: text deltas, then exactly one `done`. */
export type ChatStreamEvent =
  | { type: 'delta'; text: string }
  | { type: 'done'; model?: string; usage?: Usage; finish_reason?: string; output?: unknown };

/** Handed to a provider on every call. */
export interface ProviderCallContext {
  /** Aborted on timeout, on cancellation by the caller, or when a hedged twin answered first. */
  signal: AbortSignal;
  /** Milliseconds this attempt may take; providers pass it to undici as header and body timeouts. */
  timeoutMs: number;
  /** For streams: longest silence allowed between two chunks. */
  idleTimeoutMs?: number;
}

/** A client of one LLM endpoint. Throw `ProviderError`s so the router can classify failures. */
export interface Provider {
  /** `anthropic`, `openai`, `ollama`, or anything for custom providers. */
  readonly vendor: string;
  readonly model?: string;
  /** Capabilities it serves (e.g. `extract_lead`); absent means every capability. */
  readonly capabilities?: readonly string[];
  chat(request: ChatRequest, context: ProviderCallContext): Promise<ChatResponse>;
  /** Streams the answer; without it the router streams `chat()` as one delta. */
  stream?(request: ChatRequest, context: ProviderCallContext): AsyncIterable<ChatStreamEvent>;
}

/** A custom provider as a plain function: return the answer's text or a full ChatResponse. */
export type ProviderFunction = (request: ChatRequest, context: ProviderCallContext) => Promise<ChatResponse | string> | ChatResponse | string;

/** Circuit breaker settings of one provider (opossum underneath, driven by the injected clock). */
export interface BreakerSettings {
  /** Failure percentage over the rolling window that opens the breaker. Default 50. */
  errorThresholdPercentage?: number;
  /** Calls the window must hold before it may open, so one early failure does not. Default 5. */
  volumeThreshold?: number;
  /** Length of the rolling window in ms. Default 10 000. */
  rollingWindowMs?: number;
  /** Buckets the window is cut into. Default 10. */
  rollingBuckets?: number;
  /** How long it stays open before one trial call is let through (half-open). Default 30 000. */
  resetTimeoutMs?: number;
}

/** How the router treats one provider. Every field falls back to `defaults`, then to the built-in default. */
export interface ProviderSettings {
  /** Longest one attempt may take (non-streaming). Default 30 000. */
  timeoutMs?: number;
  /** Streams: longest wait for the first token. Default 15 000. */
  firstTokenTimeoutMs?: number;
  /** Streams: longest silence between two chunks. Default 20 000. */
  idleTimeoutMs?: number;
  /** Retries on this provider for retryable failures. Default 1. */
  retries?: number;
  /** First backoff delay; doubles per retry with jitter. Default 250. */
  retryDelayMs?: number;
  /** Largest backoff delay. Default 5 000. */
  maxRetryDelayMs?: number;
  /** Open the breaker this long when the provider says its quota or spend limit is used up. Default 1 h. */
  quotaCooldownMs?: number;
  /** Longest cooldown a `retry-after` can impose. Default 5 min. */
  maxCooldownMs?: number;
  breaker?: BreakerSettings;
  /** Share of first picks under the `weighted` strategy. Default 1. */
  weight?: number;
  /** Free-form label shown in health and `/v1/models` (e.g. `primary`, `local`). */
  tier?: string;
}

/** Hedging: when the first provider is slower than its recent p95, ask the next one too. */
export interface HedgeSettings {
  /** Fixed delay before the hedge; default: the primary's recent p95. */
  afterMs?: number;
  /** Successful calls needed before p95 is trusted. Default 20. */
  minSamples?: number;
  /** Never hedge sooner than this. Default 5. */
  minDelayMs?: number;
}

/** An intent: which capability it needs, how to prompt, and the schema its output must pass. */
export interface Intent<I = unknown, O = unknown> {
  readonly name: string;
  readonly capability: string;
  readonly description?: string;
  /** Validates `input`; a failure is a 400 naming the field. */
  readonly input: z.ZodType<I>;
  prompt(input: I): ChatRequest;
  /** Schema the output must pass, or one built from the input; a failure counts against the provider. */
  readonly output: z.ZodType<O> | ((input: I) => z.ZodType<O>);
  /** Turns the model's text into the value checked by `output`. Default: JSON for `json` prompts, else the text. */
  parse?(text: string, input: I): unknown;
  /** Provider order for this intent; default the router's order. */
  readonly order?: readonly string[];
  /** An event to publish (on the router's bus) when the intent succeeds, e.g. `ai.summary.created`. */
  event?(output: O, input: I): { type: string; data: Record<string, unknown> } | undefined;
}

/** An intent of any input and output, as lists of intents hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyIntent = Intent<any, any>;

/** Why an attempt failed, classified once where the failure happened. */
export type FailureKind =
  | 'rate_limited'
  | 'quota_exhausted'
  | 'overloaded'
  | 'server_error'
  | 'timeout'
  | 'connection'
  | 'bad_request'
  | 'auth'
  | 'not_found'
  | 'invalid_response'
  | 'invalid_output'
  | 'stream_error'
  | 'breaker_open'
  | 'cancelled'
  | 'deadline'
  | 'unknown';

/** One try of one provider, as results, errors and events report it. */
export interface Attempt {
  provider: string;
  /** 1 for the first try of this provider, 2 for its first retry… */
  attempt: number;
  outcome: 'ok' | 'failed' | 'skipped' | 'cancelled';
  latency_ms: number;
  /** Started by hedging, beside a slower provider. */
  hedged?: boolean;
  error?: string;
  kind?: FailureKind;
  status?: number;
  retry_after_ms?: number;
}

/** The answer of a routed call. */
export interface RouteResult<O = unknown> {
  /** The intent, for `run()`; absent for plain chats. */
  intent?: string;
  used_provider: string;
  model?: string;
  output: O;
  /** The model's raw text. */
  text: string;
  latency_ms: number;
  attempts: Attempt[];
  usage?: Usage;
  finish_reason?: string;
}

/** A provider's error summary inside the all-failed error and the `ai.fallback.*` events. */
export interface ProviderFailure {
  provider: string;
  error: string;
  latency_ms: number;
  kind: FailureKind;
  status?: number;
}

/** `details` of the `upstream_failed` error thrown when every provider failed. */
export interface AllFailedDetails {
  intent?: string;
  provider_errors: ProviderFailure[];
  attempts: Attempt[];
  latency_ms: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** One provider's health, as `GET /providers/health` answers it. */
export interface ProviderHealth {
  healthy: boolean;
  last_error: string | null;
  /** ISO time of the last attempt. */
  last_checked: string | null;
  total_calls: number;
  failed_calls: number;
  breaker: BreakerState;
  /** ISO time the open breaker lets a trial call through; null unless open. */
  reopens_at: string | null;
  /** Over the last successful calls; null before any. */
  p50_ms: number | null;
  p95_ms: number | null;
  tokens: { input: number; output: number; total: number };
  vendor: string;
  model: string | null;
  tier: string | null;
  capabilities: string[] | null;
}

/** What the router knows about a provider, for listings such as `/v1/models`. */
export interface ProviderInfo {
  name: string;
  vendor: string;
  model: string | null;
  tier: string | null;
  capabilities: string[] | null;
}

/** Per-call options of `run()`, `chat()` and `stream()`. */
export interface CallOptions {
  /** Cancels everything: in-flight requests, waits between retries, hedges. */
  signal?: AbortSignal;
  /** Overall budget for this call in ms, retries and fallbacks included. Default: the router's `deadlineMs`. */
  deadlineMs?: number;
  /** Try these providers, in this order, instead of the configured chain. */
  order?: readonly string[];
  /** Move this provider to the front of the chain (the gateway's `model`). */
  prefer?: string;
  /** `chat()`/`stream()`: only providers serving this capability. */
  capability?: string;
  /** Hedge this call (non-streaming only). Default: the router's `hedge` setting. */
  hedge?: boolean | HedgeSettings;
}

/** A stream that already has its first token: failures before it were failed over invisibly. */
export interface RoutedStream extends AsyncIterable<ChatStreamEvent> {
  readonly intent?: string;
  readonly used_provider: string;
  readonly model?: string;
  /** Attempts up to the first token. */
  readonly attempts: readonly Attempt[];
  /** Time to the first token. */
  readonly latency_ms: number;
  /** Stops the stream and releases the provider's connection. */
  cancel(reason?: unknown): void;
}

/** How the router picks the order of a chain. */
export type RoutingStrategy = 'order' | 'latency' | 'weighted';

export interface RouterOptions {
  /** Providers by name; a plain function is a custom provider. Their key order is the default chain. */
  providers: Readonly<Record<string, Provider | ProviderFunction>>;
  /** Intents the router can `run()`. Default: the built-in three (extract-lead, summarize-activity, classify-intent). */
  intents?: readonly AnyIntent[];
  /** The chain (`PROVIDER_ORDER`). Default: the keys of `providers`. */
  order?: readonly string[];
  /** Per provider, providers to try right after it (LiteLLM's `fallbacks`); cycles are rejected. */
  fallbacks?: Readonly<Record<string, readonly string[]>>;
  /** Settings for every provider. */
  defaults?: ProviderSettings;
  /** Settings per provider, over `defaults`. */
  settings?: Readonly<Record<string, ProviderSettings>>;
  /** Default `order`. `latency` puts the lowest recent p50 first; `weighted` picks the first by weight. */
  strategy?: RoutingStrategy;
  /** Budget of one call in ms, retries and fallbacks included. Default 60 000. */
  deadlineMs?: number;
  /** Most attempts one call makes across all providers. Default 10. */
  maxAttempts?: number;
  /** Hedge non-streaming calls. Default off. */
  hedge?: boolean | HedgeSettings;
  /** Where `ai.provider.used`, `ai.fallback.used` and `ai.fallback.failed` go. */
  bus?: EventBus;
  /** Publish `ai.provider.used` for every successful call, not just fallbacks. Default true. */
  emitProviderUsed?: boolean;
  clock?: Clock;
  /** Source of randomness for jitter and weighted picks (tests pin it). */
  random?: () => number;
  /** Where the router logs: a breaker opening (warn) or closing (info), an event it could not publish (warn), each call every provider failed (debug). Default: core's stderr logger. */
  logger?: Logger;
}

/** The router: intents, chats and streams with fallback, retries, breakers and health. */
export interface Router {
  /** Runs an intent: its output is validated against the intent's schema. */
  run<O = unknown>(intent: string, input: unknown, options?: CallOptions): Promise<RouteResult<O>>;
  /** A plain chat through the chain (the gateway's path). */
  chat(request: ChatRequest, options?: CallOptions): Promise<RouteResult<string>>;
  /** Streams a chat; resolves once a provider produced its first token. */
  stream(request: ChatRequest, options?: CallOptions): Promise<RoutedStream>;
  /** Streams an intent; its `done` event carries the validated `output`. */
  streamIntent(intent: string, input: unknown, options?: CallOptions): Promise<RoutedStream>;
  /** Health of every provider, by name, in chain order. */
  health(): Record<string, ProviderHealth>;
  /** Provider names in chain order (for `GET /ping`). */
  providerNames(): string[];
  providers(): ProviderInfo[];
  /** Intents by name. */
  intents(): ReadonlyMap<string, AnyIntent>;
  /** Stops the breakers' timers. Calls in flight finish. */
  close(): void;
}
