import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import { traceStorage } from './context.js';
import { parseTraceparent, Trace, type TraceContext } from './trace-context.js';

type Api = typeof OtelApi;

// `@opentelemetry/api` keeps its registered providers under this symbol (one per major version), shared by every
// copy of the package. Reading it tells whether a tracer provider is registered without loading anything.
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');
let api: Api | null | undefined;

/**
 * True when an OpenTelemetry tracer provider is registered and `@opentelemetry/api` can be loaded: only then are
 * spans made. A property read; the package is required (synchronously, once) the first time this is true.
 * @example if (spansEnabled()) return withSpan('chat claude', { kind: 'client' }, call)
 */
export function spansEnabled(): boolean {
  if ((globalThis as { [OTEL_GLOBAL]?: { trace?: unknown } })[OTEL_GLOBAL]?.trace === undefined) return false;
  if (api === undefined) api = load();
  return api !== null;
}

function load(): Api | null {
  try {
    return createRequire(import.meta.url)('@opentelemetry/api') as Api;
  } catch {
    // An optional peer dependency: a provider registered through a copy this package cannot resolve means no spans.
    return null;
  }
}

export type SpanKindName = 'server' | 'client' | 'producer' | 'consumer' | 'internal';

export interface SpanOptions {
  kind?: SpanKindName;
  attributes?: Record<string, string | number | boolean | undefined>;
  /** The parent: a context, or a stored `traceparent` (a queued delivery's). Default: the current trace. */
  parent?: TraceContext | string | undefined;
  /** Make a span only inside a trace (default false: a span without a parent starts a new trace). */
  requireParent?: boolean;
}

export interface SpanHandle {
  /** The context standing for the span: run the work in it (`runWithTrace`). */
  readonly trace: TraceContext;
  /** Ends the span; an error marks it failed, `status` is recorded as `http.response.status_code`. */
  end(error?: unknown, status?: number): void;
}

const KIND: Record<SpanKindName, number> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 };
const TRACER = '@aetherlink/core';

/**
 * Starts an OpenTelemetry span under `parent` (default the current trace, or the app's own active span) when a
 * tracer provider is registered; undefined otherwise, or when `requireParent` finds no trace to join.
 * @example const span = startSpan('GET /ops/services', { kind: 'server', parent }); try { … } finally { span?.end() }
 */
export function startSpan(name: string, options: SpanOptions = {}): SpanHandle | undefined {
  if (!spansEnabled()) return undefined;
  const otel = api!;
  const parent = typeof options.parent === 'string' ? parseTraceparent(options.parent) : (options.parent ?? traceStorage.getStore());
  const base = otel.context.active();
  let parentContext = base;
  if (parent instanceof Trace && parent.span !== undefined) parentContext = otel.trace.setSpan(base, parent.span as OtelApi.Span);
  else if (parent !== undefined) {
    parentContext = otel.trace.setSpanContext(base, {
      traceId: parent.traceId,
      spanId: parent.spanId,
      traceFlags: parent.sampled ? 1 : 0,
      isRemote: true,
      ...(parent.tracestate ? { traceState: otel.createTraceState(parent.tracestate) } : {}),
    });
  } else if (options.requireParent && otel.trace.getSpan(base) === undefined) return undefined;
  const attributes: OtelApi.Attributes = {};
  for (const [k, v] of Object.entries(options.attributes ?? {})) if (v !== undefined) attributes[k] = v;
  const span = otel.trace.getTracer(TRACER).startSpan(name, { kind: KIND[options.kind ?? 'internal'], attributes }, parentContext);
  return new OtelSpanHandle(otel, span, parent?.tracestate);
}

class OtelSpanHandle implements SpanHandle {
  readonly trace: TraceContext;
  constructor(
    private readonly otel: Api,
    private readonly span: OtelApi.Span,
    tracestate: string | undefined,
  ) {
    const c = span.spanContext();
    this.trace = new Trace(`00-${c.traceId}-${c.spanId}-0${c.traceFlags & 1}`, c.traceState?.serialize() || tracestate, span);
  }
  end(error?: unknown, status?: number): void {
    if (status !== undefined) this.span.setAttribute('http.response.status_code', status);
    if (error !== undefined) {
      if (error instanceof Error) this.span.recordException(error);
      this.span.setStatus({ code: this.otel.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    } else if (status !== undefined && status >= 500) {
      this.span.setStatus({ code: this.otel.SpanStatusCode.ERROR });
    }
    this.span.end();
  }
}

/**
 * Runs `fn` in a child span (see `startSpan`) and ends it when `fn` settles; without a tracer provider it runs
 * `fn` in the parent's context (or as it is).
 * @example await withSpan('POST hooks.example.com', { kind: 'client', parent: delivery.headers.traceparent }, () => send(delivery))
 */
export function withSpan<R>(name: string, options: SpanOptions, fn: () => R): R {
  const span = startSpan(name, options);
  if (span === undefined) {
    const parent = typeof options.parent === 'string' ? parseTraceparent(options.parent) : options.parent;
    return parent === undefined ? fn() : traceStorage.run(parent as Trace, fn);
  }
  return inSpan(span, fn);
}

/**
 * Runs `fn` as the span's work, in the OpenTelemetry context too (for the app's own instrumentation), and ends
 * the span when it settles.
 * @example return inSpan(span, () => handler(ctx))
 */
export function inSpan<R>(span: SpanHandle, fn: () => R): R {
  let out: R;
  try {
    out = runInSpan(span, fn);
  } catch (error) {
    span.end(error);
    throw error;
  }
  if (out instanceof Promise) {
    return out.then(
      (value: unknown) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        span.end(error);
        throw error;
      },
    ) as R;
  }
  span.end();
  return out;
}

/**
 * Runs `fn(...args)` as the span's work without ending the span (the caller ends it, e.g. once a response is sent).
 * @example const outcome = runInSpan(span, handle, request)
 */
export function runInSpan<A extends unknown[], R>(span: SpanHandle, fn: (...args: A) => R, ...args: A): R {
  const trace = span.trace as Trace;
  const otel = api!;
  return otel.context.with(otel.trace.setSpan(otel.context.active(), trace.span as OtelApi.Span), () => traceStorage.run(trace, fn, ...args));
}
