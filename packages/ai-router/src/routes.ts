import { defineRoute, errorFields, isAetherError, loggerFor, PERMISSIONS, reply, sse, systemClock, uuidv7, type AnyRouteSpec, type Clock, type Logger, type SseChannel } from '@aetherlink/core';
import { z } from 'zod';
import { gatewayError, listModels, openAIError, preferredProvider, toChatRequest, toChunk, toCompletion, finishReason } from './gateway.js';
import { isProviderError } from './errors.js';
import { chatCompletionRequestSchema, orchestrateBodySchema } from './schemas.js';
import type { RoutedStream, Router } from './types.js';

export interface AiRoutesOptions {
  router: Router;
  clock?: Clock;
  /** Mount `POST /v1/chat/completions` and `GET /v1/models`. Default true. */
  gateway?: boolean;
  /** Largest request body of the AI routes, in bytes. Default 1 MiB (prompts can be long). */
  bodyLimit?: number;
  /** Where a stream that fails for a reason of the server's own is logged. Default: core's stderr logger. */
  logger?: Logger;
}

const attemptSchema = z.object({
  provider: z.string(),
  attempt: z.number(),
  outcome: z.enum(['ok', 'failed', 'skipped', 'cancelled']),
  latency_ms: z.number(),
  hedged: z.boolean().optional(),
  error: z.string().optional(),
  kind: z.string().optional(),
  status: z.number().optional(),
  retry_after_ms: z.number().optional(),
});
const healthSchema = z.record(
  z.string(),
  z.object({
    healthy: z.boolean(),
    last_error: z.string().nullable(),
    last_checked: z.string().nullable(),
    total_calls: z.number(),
    failed_calls: z.number(),
    breaker: z.enum(['closed', 'open', 'half_open']),
    reopens_at: z.string().nullable(),
    p50_ms: z.number().nullable(),
    p95_ms: z.number().nullable(),
    tokens: z.object({ input: z.number(), output: z.number(), total: z.number() }),
    vendor: z.string(),
    model: z.string().nullable(),
    tier: z.string().nullable(),
    capabilities: z.array(z.string()).nullable(),
  }),
);
const jsonObject = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });

// The gateway's own answers, in OpenAI's shapes, for the OpenAPI document.
const openAIErrorSchema = z.object({
  error: z.looseObject({ message: z.string(), type: z.string(), code: z.string().nullable(), param: z.string().nullable() }),
});
const openAIUsageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });
const completionSchema = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      logprobs: z.null(),
      finish_reason: z.string().nullable(),
    }),
  ),
  usage: openAIUsageSchema,
  system_fingerprint: z.null(),
});
const modelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() })),
});
const gatewayErrors = (statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: 'the gateway answers in OpenAI’s error shape', schema: openAIErrorSchema }]));

/**
 * The AI router's HTTP routes (DESIGN §4): `POST /orchestrate` (ai:invoke, optionally streamed as SSE),
 * `GET /providers/health` (ops:read), and the OpenAI-compatible gateway `POST /v1/chat/completions` and
 * `GET /v1/models` (ai:invoke), which answer errors in OpenAI's shape so the official client reports them.
 * @example await app.register(aetherlinkFastify, { service: 'cc', routes: aiRoutes({ router }) })
 */
export function aiRoutes(options: AiRoutesOptions): AnyRouteSpec[] {
  const { router } = options;
  const clock = options.clock ?? systemClock;
  const bodyLimit = options.bodyLimit ?? 1024 * 1024;
  const created = Math.floor(clock.now() / 1000);
  const log = loggerFor(options.logger, 'ai-router');

  const orchestrate = defineRoute({
    method: 'POST',
    path: '/orchestrate',
    permission: PERMISSIONS.aiInvoke,
    operationId: 'orchestrate',
    sse: 'on-request',
    // Rate limited everywhere (429), every provider failed (502), out of time (504).
    errors: [429, 502, 504],
    summary: 'Run an intent across the providers in order; `stream: true` answers as Server-Sent Events',
    description: 'Unknown intent or bad input → 400 naming the field; every provider failed → 502 with each provider’s error and latency.',
    tags: ['ai'],
    body: orchestrateBodySchema,
    bodyLimit,
    response: z.object({
      intent: z.string(),
      used_provider: z.string(),
      output: z.unknown(),
      latency_ms: z.number(),
      attempts: z.array(attemptSchema),
      model: z.string().optional(),
      usage: z.object({ input_tokens: z.number(), output_tokens: z.number(), total_tokens: z.number() }).optional(),
    }),
    handler: async ({ body, signal }) => {
      if (body.stream) {
        const stream = await router.streamIntent(body.intent, body.input, { signal });
        return sse((channel) => pumpIntent(stream, channel, clock, log));
      }
      const { text: _text, ...result } = await router.run(body.intent, body.input, { signal });
      return result;
    },
  });

  const health = defineRoute({
    method: 'GET',
    path: '/providers/health',
    permission: PERMISSIONS.opsRead,
    operationId: 'getProviderHealth',
    summary: 'Each AI provider: healthy, last error, calls, failures, breaker state, p50/p95 latency, tokens',
    tags: ['ai'],
    response: healthSchema,
    handler: () => router.health(),
  });

  const routes: AnyRouteSpec[] = [orchestrate, health];
  if (options.gateway === false) return routes;

  const completions = defineRoute({
    method: 'POST',
    path: '/v1/chat/completions',
    permission: PERMISSIONS.aiInvoke,
    operationId: 'createChatCompletion',
    sse: 'on-request',
    response: completionSchema,
    summary: 'OpenAI-compatible Chat Completions (streaming too), answered through the router’s fallback chain',
    description:
      '`model` may name a provider or a provider’s model to try first; any other value uses the configured chain. Errors use OpenAI’s `{ error: { message, type, code, param } }` shape.',
    tags: ['ai', 'gateway'],
    body: jsonObject,
    bodyLimit,
    openapi: { requestBody: chatCompletionRequestSchema, responses: gatewayErrors([400, 429, 502, 503, 504]) },
    handler: async ({ body, signal }) => {
      const parsed = chatCompletionRequestSchema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        const param = issue.path.map(String).join('.') || null;
        return reply(400, openAIError(`${param ? `${param}: ` : ''}${issue.message}`, 'invalid_request_error', 'invalid_value', param));
      }
      const request = parsed.data;
      const prefer = preferredProvider(request.model, router.providers());
      const call = { signal, ...(prefer ? { prefer } : {}) };
      const id = `chatcmpl-${uuidv7(clock.now()).replace(/-/g, '')}`;
      const now = Math.floor(clock.now() / 1000);
      try {
        if (!request.stream) {
          const result = await router.chat(toChatRequest(request), call);
          return reply(200, toCompletion(result, id, now), { 'x-aetherlink-provider': result.used_provider, 'x-aetherlink-attempts': String(result.attempts.length) });
        }
        const stream = await router.stream(toChatRequest(request), call);
        return sse((channel) => pumpCompletion(stream, channel, id, now, request.stream_options?.include_usage === true, log));
      } catch (error) {
        const answer = gatewayError(error);
        if (answer) return answer;
        throw error;
      }
    },
  });

  const models = defineRoute({
    method: 'GET',
    path: '/v1/models',
    permission: PERMISSIONS.aiInvoke,
    operationId: 'listModels',
    response: modelListSchema,
    summary: 'OpenAI-compatible model list: `auto` (the configured chain), each provider and each provider’s model',
    tags: ['ai', 'gateway'],
    handler: () => listModels(router.providers(), created),
  });

  return [...routes, completions, models];
}

// A provider's failure is told to the client (its message is already redacted); anything else is logged, not shown.
function describe(error: unknown, log: Logger, provider: string): { code: string; kind?: string; detail: string } {
  if (isProviderError(error)) return { code: error.code, kind: error.kind, detail: error.message };
  if (isAetherError(error)) return { code: error.code, detail: error.message };
  log.error({ err: errorFields(error), provider }, 'a routed stream failed on the server');
  return { code: 'internal', detail: 'the stream failed on the server' };
}

async function pumpIntent(stream: RoutedStream, channel: SseChannel, clock: Clock, log: Logger): Promise<void> {
  const started = clock.now() - stream.latency_ms;
  const stop = () => stream.cancel('the client went away');
  channel.signal.addEventListener('abort', stop, { once: true });
  channel.send({ event: 'start', data: JSON.stringify({ intent: stream.intent, used_provider: stream.used_provider, latency_ms: stream.latency_ms, attempts: stream.attempts }) });
  try {
    for await (const event of stream) {
      if (event.type === 'delta') channel.send({ event: 'delta', data: JSON.stringify({ text: event.text }) });
      else {
        channel.send({
          event: 'done',
          data: JSON.stringify({
            intent: stream.intent,
            used_provider: stream.used_provider,
            output: event.output,
            latency_ms: clock.now() - started,
            attempts: stream.attempts,
            ...(event.model ? { model: event.model } : {}),
            ...(event.usage ? { usage: event.usage } : {}),
          }),
        });
      }
    }
  } catch (error) {
    if (!channel.signal.aborted) channel.send({ event: 'error', data: JSON.stringify({ ...describe(error, log, stream.used_provider), provider: stream.used_provider }) });
  } finally {
    channel.signal.removeEventListener('abort', stop);
    channel.close();
  }
}

// A failure after the 200 goes out as an `error` chunk and no [DONE]: the openai client throws on it.
async function pumpCompletion(stream: RoutedStream, channel: SseChannel, id: string, created: number, includeUsage: boolean, log: Logger): Promise<void> {
  const stop = () => stream.cancel('the client went away');
  channel.signal.addEventListener('abort', stop, { once: true });
  let model = stream.model ?? stream.used_provider;
  let first = true;
  const send = (chunk: Record<string, unknown>) => channel.send({ data: JSON.stringify(chunk) });
  try {
    for await (const event of stream) {
      if (event.type === 'delta') {
        send(toChunk(id, created, model, first ? { role: 'assistant', content: event.text } : { content: event.text }, null));
        first = false;
        continue;
      }
      if (event.model) model = event.model;
      send(toChunk(id, created, model, first ? { role: 'assistant', content: '' } : {}, finishReason(event.finish_reason)));
      if (includeUsage) send(toChunk(id, created, model, {}, null, event.usage ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0 }));
      channel.send({ data: '[DONE]' });
    }
  } catch (error) {
    if (!channel.signal.aborted) {
      const { code, kind, detail } = describe(error, log, stream.used_provider);
      channel.send({ data: JSON.stringify(openAIError(`${stream.used_provider} failed mid-stream: ${detail}`, 'upstream_error', kind ?? code, null, { provider: stream.used_provider })) });
    }
  } finally {
    channel.signal.removeEventListener('abort', stop);
    channel.close();
  }
}
