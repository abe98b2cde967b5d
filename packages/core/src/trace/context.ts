import { AsyncLocalStorage } from 'node:async_hooks';
import type { Trace, TraceContext } from './trace-context.js';

// One store per process, even when the ESM and the CJS builds of this package are both loaded.
const KEY = Symbol.for('aetherlink.trace.storage');
const holder = globalThis as { [KEY]?: AsyncLocalStorage<Trace> };
/** @internal */
export const traceStorage: AsyncLocalStorage<Trace> = (holder[KEY] ??= new AsyncLocalStorage<Trace>());

/**
 * The trace the current work belongs to (a request, a publish, a provider call), carried across awaits; undefined
 * outside of one.
 * @example log.info({ trace_id: currentTrace()?.traceId }, 'done')
 */
export function currentTrace(): TraceContext | undefined {
  return traceStorage.getStore();
}

/**
 * Runs `fn` (with `args`, so callers need no closure) as part of `trace`: what it publishes, calls or logs
 * carries the trace.
 * @example runWithTrace(parseTraceparent(delivery.headers.traceparent), () => send(delivery))
 */
export function runWithTrace<A extends unknown[], R>(trace: TraceContext | undefined, fn: (...args: A) => R, ...args: A): R {
  if (trace === undefined) return fn(...args);
  return traceStorage.run(trace as Trace, fn, ...args);
}

/**
 * Writes the current trace's `traceparent` (and `tracestate`) into `headers` and returns it; outside a trace it
 * returns `headers` untouched. For outbound calls, and for deliveries queued now and sent later.
 * @example await store.enqueue({ endpoint, payload, headers: traceHeaders({ 'x-source': 'alerts' }), max_attempts })
 */
export function traceHeaders(headers: Record<string, string> = {}): Record<string, string> {
  const trace = traceStorage.getStore();
  if (trace === undefined) return headers;
  headers.traceparent = trace.traceparent;
  if (trace.tracestate !== undefined) headers.tracestate = trace.tracestate;
  return headers;
}

/**
 * `{ trace_id, span_id }` of the current trace, or nothing: a pino `mixin`, so every log line written during a
 * request names its trace.
 * @example pino({ mixin: traceLogFields })
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const trace = traceStorage.getStore();
  // A fresh object each time: pino merges the line's own fields into what the mixin returns.
  return trace === undefined ? {} : { trace_id: trace.traceId, span_id: trace.spanId };
}
