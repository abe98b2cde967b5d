import { abortable, asProviderError, linked, skipped, type Engine, type Entry, type Job } from './_internal/entry.js';
import { ProviderError } from './errors.js';
import { allFailed, tryProvider, type Lane } from './execute.js';
import type { ChatResponse, ChatStreamEvent, RoutedStream } from './types.js';

/** A provider stream that produced its first event, ready to hand to the consumer. */
export interface StreamStart {
  iterator: AsyncIterator<ChatStreamEvent>;
  first: ChatStreamEvent;
  controller: AbortController;
  release: () => void;
}

/**
 * One streaming attempt, up to its first event within `min(firstTokenTimeout, time left)`. Whatever fails
 * before then is an ordinary attempt failure: retried or failed over, never seen by the consumer.
 * @example const start = await streamAttempt(engine, job, lane)
 */
export async function streamAttempt(engine: Engine, job: Job, lane: Lane): Promise<StreamStart> {
  const { clock } = engine;
  const { settings, provider } = lane.entry;
  const left = job.deadlineAt - clock.now();
  if (left <= 0) throw new ProviderError('deadline', 'the call’s deadline passed before this attempt');
  const limit = Math.min(settings.firstTokenTimeoutMs, left);
  const { controller, release } = linked(lane.controller.signal);
  const timer = clock.setTimeout(() => {
    controller.abort(
      limit < settings.firstTokenTimeoutMs
        ? new ProviderError('deadline', `the call’s deadline passed after ${limit} ms without a first token`)
        : new ProviderError('timeout', `no first token within ${limit} ms`),
    );
  }, limit);
  const context = { signal: controller.signal, timeoutMs: limit, idleTimeoutMs: settings.idleTimeoutMs };
  let iterator: AsyncIterator<ChatStreamEvent> | undefined;
  try {
    const source = provider.stream ? provider.stream(job.request, context) : single(provider.chat(job.request, context));
    iterator = source[Symbol.asyncIterator]();
    const step = await abortable(iterator.next(), controller.signal);
    if (step.done) throw new ProviderError('stream_error', 'the stream ended before its first event');
    return { iterator, first: step.value, controller, release };
  } catch (raw) {
    const error = asProviderError(raw, controller.signal);
    controller.abort(error);
    release();
    iterator?.return?.().catch(noop);
    throw error;
  } finally {
    clock.clearTimeout(timer);
  }
}

async function* single(answer: Promise<ChatResponse>): AsyncGenerator<ChatStreamEvent> {
  const response = await answer;
  if (response.text) yield { type: 'delta', text: response.text };
  yield {
    type: 'done',
    ...(response.model ? { model: response.model } : {}),
    ...(response.usage ? { usage: response.usage } : {}),
    ...(response.finish_reason ? { finish_reason: response.finish_reason } : {}),
  };
}

function noop(): void {}

/**
 * Opens a stream on the first provider of the chain that produces a first event; providers that fail
 * before it are failed over invisibly. No hedging: a stream has one reader.
 * @example const { entry, start } = await openChain(engine, job, chain)
 */
export async function openChain(engine: Engine, job: Job, chain: readonly Entry[]): Promise<{ entry: Entry; start: StreamStart; releaseLane: () => void }> {
  for (let i = 0; i < chain.length; i++) {
    if (job.signal?.aborted) throw job.signal.reason;
    const entry = chain[i]!;
    if (skipped(engine, job, entry)) continue;
    // The lane follows the caller's signal for the whole stream, not just until the first token.
    const { controller, release } = linked(job.signal);
    const lane: Lane = { entry, controller, hedged: false, current: null };
    const spare = () => engine.maxAttempts - job.attemptsUsed - (chain.length - i - 1);
    try {
      const start = await tryProvider(engine, job, lane, () => streamAttempt(engine, job, lane), spare, () => undefined);
      job.sealed = true;
      return { entry, start, releaseLane: release };
    } catch {
      release();
      if (job.signal?.aborted) throw job.signal.reason;
    }
  }
  job.sealed = true;
  throw allFailed(engine, job, chain);
}

/**
 * Hands an opened stream to its consumer: idle timeout between chunks, and an error mid-stream (or a stream
 * that stops without its final event) thrown to the reader and counted against the provider — never a clean end.
 * @example for await (const event of routedStream(engine, job, entry, start, release)) write(event)
 */
export function routedStream(
  engine: Engine,
  job: Job,
  entry: Entry,
  start: StreamStart,
  releaseLane: () => void,
  latencyMs: number,
  onOutput?: (output: unknown) => void,
): RoutedStream {
  const { clock } = engine;
  const { iterator, controller } = start;
  let taken = false;
  let finished = false;
  const finish = () => {
    finished = true;
    start.release();
    releaseLane();
    iterator.return?.().catch(noop);
  };

  async function* read(): AsyncGenerator<ChatStreamEvent> {
    let text = '';
    let event = start.first;
    let idle: unknown;
    try {
      for (;;) {
        if (event.type === 'delta') {
          text += event.text;
          yield event;
        } else {
          entry.stats.tokens(event.usage);
          const response: ChatResponse = { text, ...(event.model ? { model: event.model } : {}), ...(event.usage ? { usage: event.usage } : {}) };
          const output = job.accept(response);
          finished = true;
          onOutput?.(output);
          yield job.intent ? { ...event, output } : event;
          return;
        }
        const limit = entry.settings.idleTimeoutMs;
        idle = clock.setTimeout(() => controller.abort(new ProviderError('timeout', `the stream went silent for ${limit} ms`)), limit);
        const step = await abortable(iterator.next(), controller.signal);
        clock.clearTimeout(idle);
        idle = undefined;
        if (step.done) throw new ProviderError('stream_error', 'the stream ended without its final event');
        event = step.value;
      }
    } catch (raw) {
      const error = asProviderError(raw, controller.signal);
      if (!controller.signal.aborted) controller.abort(error);
      entry.stats.failure(clock.now(), error.message, error.countsAsFailure);
      if (error.countsAsFailure) entry.breaker.recordFailure(error);
      finished = true;
      throw error;
    } finally {
      if (idle !== undefined) clock.clearTimeout(idle);
      if (!finished) controller.abort(new ProviderError('cancelled', 'the reader stopped before the end'));
      finish();
    }
  }

  return {
    ...(job.intent ? { intent: job.intent } : {}),
    used_provider: entry.name,
    ...(entry.info.model ? { model: entry.info.model } : {}),
    attempts: job.attempts,
    latency_ms: latencyMs,
    [Symbol.asyncIterator]() {
      if (taken) throw new ProviderError('stream_error', 'a routed stream can be read once');
      taken = true;
      return read();
    },
    cancel(reason) {
      if (finished) return;
      controller.abort(new ProviderError('cancelled', typeof reason === 'string' ? reason : 'the stream was cancelled', { cause: reason }));
      if (!taken) finish();
    },
  };
}
