import { z } from 'zod';

const ms = z.number({ error: 'must be a number of milliseconds' }).int('must be a whole number').min(1, 'must be at least 1').max(2_147_483_647, 'must fit a timer (≤ 2147483647)');
const count = (max: number) => z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').max(max, `must be at most ${max}`);
const optionalText = z
  .string()
  .trim()
  .nullish()
  .transform((v) => (v ? v : undefined));

/**
 * The output of `extract-lead`.
 * @example leadSchema.parse({ name: 'Ann Lee', email: 'ann@acme.io', company: 'Acme' })
 */
export const leadSchema = z.object({
  name: z.string().trim().min(1, 'must not be empty'),
  email: z.email('must be an email address'),
  company: z.string().trim().min(1, 'must not be empty'),
  phone: optionalText.optional(),
  notes: optionalText.optional(),
});
export type Lead = z.output<typeof leadSchema>;

/**
 * Breaker settings as `createRouter` takes them.
 * @example breakerSettingsSchema.parse({ volumeThreshold: 10, resetTimeoutMs: 60_000 })
 */
export const breakerSettingsSchema = z.strictObject({
  errorThresholdPercentage: z.number().min(1, 'must be from 1 to 100').max(100, 'must be from 1 to 100').optional(),
  volumeThreshold: count(1_000_000).optional(),
  rollingWindowMs: ms.optional(),
  rollingBuckets: z.number().int().min(1).max(1000).optional(),
  resetTimeoutMs: ms.optional(),
});

/**
 * Provider settings as `createRouter` takes them (`defaults` and `settings.<name>`).
 * @example providerSettingsSchema.parse({ timeoutMs: 20_000, retries: 2 })
 */
export const providerSettingsSchema = z.strictObject({
  timeoutMs: ms.optional(),
  firstTokenTimeoutMs: ms.optional(),
  idleTimeoutMs: ms.optional(),
  retries: count(10).optional(),
  retryDelayMs: count(600_000).optional(),
  maxRetryDelayMs: count(3_600_000).optional(),
  quotaCooldownMs: ms.optional(),
  maxCooldownMs: ms.optional(),
  breaker: breakerSettingsSchema.optional(),
  weight: z.number().min(0, 'must be 0 or more').optional(),
  tier: z.string().min(1).max(50).optional(),
});

const hedgeShape = {
  afterMs: ms.optional(),
  minSamples: count(100_000).optional(),
  minDelayMs: count(600_000).optional(),
};
/**
 * `hedge`: `true`, or when and how eagerly to hedge.
 * @example hedgeSettingsSchema.parse({ afterMs: 1500 })
 */
export const hedgeSettingsSchema = z.union([z.boolean(), z.strictObject(hedgeShape)]);

// The YAML descriptor speaks snake_case, like the rest of the seed's configuration.
const breakerYaml = z.strictObject({
  error_threshold_percentage: breakerSettingsSchema.shape.errorThresholdPercentage,
  volume_threshold: breakerSettingsSchema.shape.volumeThreshold,
  rolling_window_ms: breakerSettingsSchema.shape.rollingWindowMs,
  rolling_buckets: breakerSettingsSchema.shape.rollingBuckets,
  reset_timeout_ms: breakerSettingsSchema.shape.resetTimeoutMs,
});
const settingsYaml = {
  timeout_ms: ms.optional(),
  first_token_timeout_ms: ms.optional(),
  idle_timeout_ms: ms.optional(),
  retries: count(10).optional(),
  retry_delay_ms: count(600_000).optional(),
  max_retry_delay_ms: count(3_600_000).optional(),
  quota_cooldown_ms: ms.optional(),
  max_cooldown_ms: ms.optional(),
  breaker: breakerYaml.optional(),
  weight: z.number().min(0).optional(),
  tier: z.string().min(1).max(50).optional(),
};
const providerName = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/i, 'must be letters, digits, "_", "-" or "."');
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/**
 * One provider of the YAML descriptor.
 * @example descriptorProviderSchema.parse({ vendor: 'ollama', model: 'llama3.2' })
 */
export const descriptorProviderSchema = z.strictObject({
  vendor: z.enum(['anthropic', 'openai', 'ollama'], { error: 'must be anthropic, openai or ollama' }),
  model: z.string().min(1).optional(),
  base_url: httpUrl.optional(),
  /** Name of the variable holding the key; the key itself never goes in the file. */
  api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name').optional(),
  capabilities: z.array(z.string().min(1)).optional(),
  fallbacks: z.array(z.string()).optional(),
  ...settingsYaml,
});

/**
 * The seed's `config/ai-providers.yaml`: providers, fallback order, timeouts, weights, breakers.
 * @example descriptorSchema.parse({ providers: { local: { vendor: 'ollama' } } })
 */
export const descriptorSchema = z.strictObject({
  version: z.literal(1, { error: 'must be 1' }).default(1),
  defaults: z.strictObject(settingsYaml).optional(),
  providers: z.record(providerName, descriptorProviderSchema).refine((p) => Object.keys(p).length > 0, 'must name at least one provider'),
  fallback_order: z.array(z.string()).min(1).optional(),
  strategy: z.enum(['order', 'latency', 'weighted']).optional(),
  deadline_ms: ms.optional(),
  max_attempts: z.number().int().min(1).max(100).optional(),
  hedge: z
    .union([z.boolean(), z.strictObject({ after_ms: hedgeShape.afterMs, min_samples: hedgeShape.minSamples, min_delay_ms: hedgeShape.minDelayMs })])
    .optional(),
  intents: z.record(z.string(), z.strictObject({ capability: z.string().min(1).optional(), order: z.array(z.string()).min(1).optional() })).optional(),
});
export type Descriptor = z.output<typeof descriptorSchema>;
export type DescriptorProvider = z.output<typeof descriptorProviderSchema>;

/**
 * The body of `POST /orchestrate`.
 * @example orchestrateBodySchema.parse({ intent: 'extract-lead', input: 'Ann Lee, ann@acme.io, Acme' })
 */
export const orchestrateBodySchema = z.object({
  intent: z.string({ error: 'is required' }).min(1, 'must not be empty').max(100),
  input: z.unknown(),
  stream: z.boolean().optional(),
});

const textPart = z.looseObject({ type: z.string(), text: z.string().optional() });

/**
 * The part of OpenAI's Chat Completions request the gateway honours; other fields are accepted and ignored.
 * @example chatCompletionRequestSchema.parse({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] })
 */
export const chatCompletionRequestSchema = z.looseObject({
  model: z.string({ error: 'is required' }).min(1, 'must not be empty'),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'developer', 'user', 'assistant'], { error: 'must be system, developer, user or assistant (tools are not supported)' }),
        content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
      }),
      { error: 'must be an array of messages' },
    )
    .min(1, 'must hold at least one message'),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  response_format: z.looseObject({ type: z.enum(['text', 'json_object', 'json_schema']) }).nullish(),
  n: z.literal(1, { error: 'only 1 is supported' }).nullish(),
  tools: z.array(z.unknown()).max(0, 'tools are not supported by this gateway').nullish(),
});
export type ChatCompletionRequest = z.output<typeof chatCompletionRequestSchema>;
