import type { EventTypeDefinition } from '@aetherlink/core';
import { z } from 'zod';

const failureKind = z.string().min(1);
const providerName = z.string().min(1).max(200);
const usageSchema = z.looseObject({ input_tokens: z.number(), output_tokens: z.number(), total_tokens: z.number() });
const providerErrorSchema = z.looseObject({ provider: providerName, error: z.string(), latency_ms: z.number().optional(), kind: failureKind.optional() });

/**
 * `data` of `ai.provider.used`: which provider answered, how long the call took and what it cost.
 * @example aiProviderUsedSchema.parse({ provider: 'claude', intent: 'extract-lead', latency_ms: 812, attempts: 1 })
 */
export const aiProviderUsedSchema = z.looseObject({
  provider: providerName,
  intent: z.string().optional(),
  latency_ms: z.number(),
  attempts: z.number().int().min(1).optional(),
  model: z.string().optional(),
  usage: usageSchema.optional(),
});
export type AiProviderUsedData = z.infer<typeof aiProviderUsedSchema>;

/**
 * `data` of `ai.fallback.used`: the provider that answered and the earlier ones that failed.
 * @example aiFallbackUsedSchema.parse({ provider: 'openai', failed: [{ provider: 'claude', error: '529 overloaded', latency_ms: 40, kind: 'overloaded' }] })
 */
export const aiFallbackUsedSchema = z.looseObject({ provider: providerName, intent: z.string().optional(), failed: z.array(providerErrorSchema) });
export type AiFallbackUsedData = z.infer<typeof aiFallbackUsedSchema>;

/**
 * `data` of `ai.fallback.failed`: every provider's error when none answered.
 * @example aiFallbackFailedSchema.parse({ intent: 'extract-lead', errors: [{ provider: 'claude', error: 'no answer within 300 ms', latency_ms: 300, kind: 'timeout' }] })
 */
export const aiFallbackFailedSchema = z.looseObject({ intent: z.string().optional(), errors: z.array(providerErrorSchema) });
export type AiFallbackFailedData = z.infer<typeof aiFallbackFailedSchema>;

/**
 * `data` of `ai.summary.created`, published by the `summarize-activity` intent.
 * @example aiSummaryCreatedSchema.parse({ summary: 'Ann asked about pricing.', subject_id: 42 })
 */
export const aiSummaryCreatedSchema = z.looseObject({ summary: z.string(), subject_id: z.union([z.string(), z.number()]).optional() });
export type AiSummaryCreatedData = z.infer<typeof aiSummaryCreatedSchema>;

/**
 * The event types the router publishes, with the schemas of their `data`, for an app's schema registry.
 * @example for (const type of AI_EVENT_TYPES) registry.register(type, { replace: true })
 */
export const AI_EVENT_TYPES: EventTypeDefinition[] = [
  { type: 'ai.provider.used', description: 'An AI provider answered a request.', schema: aiProviderUsedSchema },
  { type: 'ai.fallback.used', description: 'A later provider answered after earlier ones failed.', schema: aiFallbackUsedSchema, defaultSeverity: 'warning' },
  { type: 'ai.fallback.failed', description: 'Every provider failed for a request.', schema: aiFallbackFailedSchema, defaultSeverity: 'error' },
  { type: 'ai.summary.created', description: 'The AI router produced a summary.', schema: aiSummaryCreatedSchema },
];
