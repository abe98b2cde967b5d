// An alert's webhook continues the trace of the `ops.alert.*` event it announces: the trace is kept with the
// delivery when it is queued, and each attempt is a `webhook deliver` client span under it, with the SDK's
// in-memory exporter and a real sink on 127.0.0.1. Its `webhook-id` is the notification's id.
import { createEgressPolicy, memoryDeliveryStore, parseTraceparent, runWithTrace, silentLogger, type StoredEvent } from '@aetherlink/core';
import { trace, SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { alertWorld } from './_testing/harness.js';
import { makeNotification } from './_testing/notifications.js';
import { startWebhookSink, type WebhookSink } from './_testing/sink.js';
import { generateWebhookSecret } from './delivery/signing.js';
import { alertsModule, type AlertsModule } from './module.js';

const S = 1000;
const FIRING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const RESOLVED_TRACE = '0af7651916cd43dd8448eb211c80319c';
const caller = (traceId: string) => parseTraceparent(`00-${traceId}-00f067aa0ba902b7-01`);

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
beforeAll(() => void trace.setGlobalTracerProvider(provider));
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
});

let sink: WebhookSink;
let mod: AlertsModule;
afterEach(async () => {
  await mod.close();
  await sink.close();
  exporter.reset();
});

describe('the trace of an alert, from its event to the receiver', () => {
  it('queues each delivery in the trace of its ops.alert.* event and sends it as a webhook deliver span under it; webhook-id is the notice id', async () => {
    sink = await startWebhookSink();
    const secret = generateWebhookSecret();
    const w = alertWorld();
    mod = alertsModule({
      deliveries: memoryDeliveryStore(),
      documents: w.documents,
      owner: 'a',
      clock: w.clock,
      logger: silentLogger,
      webhooks: [`slack+${sink.url}/services/T0/B0/secret-token`],
      secret,
      egress: createEgressPolicy({ allowLoopback: true }),
      rules: { bus: w.bus },
    });
    await mod.start!();
    await mod.rules!.create({ name: 'api-errors', event_type: 'api.error', window_seconds: 60, threshold: 3 });
    await w.publish(3);

    // An evaluation asked for within a trace (POST /alerts/evaluate with a traceparent, say).
    const report = await runWithTrace(caller(FIRING_TRACE), () => mod.evaluator!.evaluate());
    expect(report.transitions.map((t) => t.to)).toEqual(['pending', 'firing']);
    const [raised] = (await w.bus.store.query({ type: 'ops.alert.raised', limit: 1 })) as StoredEvent[];
    const eventTrace = parseTraceparent(raised!.traceparent)!;
    expect(eventTrace.traceId).toBe(FIRING_TRACE);
    await mod.delivery.worker.runOnce();

    const [req] = sink.requests;
    expect(req!.webhookId).toBe(`${(raised!.data as { episode_id: string }).episode_id}:firing`);
    expect(sink.verify(req!, secret, w.clock.now())).toBe(true);
    const deliver = exporter.getFinishedSpans().find((s) => s.name === 'webhook deliver')!;
    expect(deliver.kind).toBe(SpanKind.CLIENT);
    expect(deliver.spanContext().traceId).toBe(FIRING_TRACE);
    expect(deliver.parentSpanContext?.spanId).toBe(eventTrace.spanId);
    expect(deliver.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'http.request.method': 'POST', 'http.response.status_code': 200, 'aetherlink.webhook.id': req!.webhookId });
    expect(JSON.stringify(deliver.attributes)).not.toContain('secret-token');
    // The receiver sees the trace continued by the attempt's own span.
    expect(parseTraceparent(req!.headers.traceparent as string)).toMatchObject({ traceId: FIRING_TRACE, spanId: deliver.spanContext().spanId });

    // The episode ends in another trace; its resolved notice follows that one, under its own id.
    w.clock.advance(61 * S);
    await runWithTrace(caller(RESOLVED_TRACE), () => mod.evaluator!.evaluate());
    await mod.delivery.worker.runOnce();
    expect(sink.requests).toHaveLength(2);
    const resolved = sink.requests[1]!;
    expect(resolved.webhookId).toBe(`${(raised!.data as { episode_id: string }).episode_id}:resolved`);
    expect(parseTraceparent(resolved.headers.traceparent as string)!.traceId).toBe(RESOLVED_TRACE);
    expect(resolved.json).toMatchObject({ text: expect.stringContaining('RESOLVED') });
  });

  it('sends a delivery queued outside any trace without a traceparent and makes no span for it, even when a traced enqueue wakes its pass', async () => {
    sink = await startWebhookSink();
    const w = alertWorld();
    const deliveries = memoryDeliveryStore();
    mod = alertsModule({ deliveries, documents: w.documents, owner: 'a', clock: w.clock, logger: silentLogger, webhooks: [`${sink.url}/hook`], egress: createEgressPolicy({ allowLoopback: true }) });
    await mod.start!();
    await deliveries.enqueue({ endpoint: `${sink.url}/plain`, payload: { n: 1 }, max_attempts: 1 }, w.clock.now());
    await runWithTrace(caller(FIRING_TRACE), () => mod.notifier.notify(makeNotification({ notification_id: 'ep-1:firing' })));
    await mod.delivery.worker.runOnce();
    const byPath = new Map(sink.requests.map((r) => [r.path, r]));
    expect(byPath.get('/plain')!.headers.traceparent).toBeUndefined();
    expect(parseTraceparent(byPath.get('/hook')!.headers.traceparent as string)!.traceId).toBe(FIRING_TRACE);
    expect(byPath.get('/hook')!.webhookId).toBe('ep-1:firing');
    expect(exporter.getFinishedSpans().filter((s) => s.name === 'webhook deliver')).toHaveLength(1);
  });
});
