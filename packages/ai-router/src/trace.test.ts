// One request → the events it publishes → the provider calls it makes form one OpenTelemetry trace, on Express
// and on Fastify, with real servers on 127.0.0.1 and the SDK's in-memory exporter.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { aetherlinkExpress } from '@aetherlink/adapters/express';
import { aetherlinkFastify } from '@aetherlink/adapters/fastify';
import { createAuditLog, createEventBus, memoryAuditSink, silentLogger, type AnyRouteSpec, type AuditLog, type EventBus } from '@aetherlink/core';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from './_testing/fake-llm-server.js';
import { fakeProviders } from './_testing/fake-providers.js';
import { createRouter } from './router.js';
import { aiRoutes } from './routes.js';
import type { Router } from './types.js';

const LEAD = '{"name":"Ann Lee","email":"ann@acme.io","company":"Acme"}';
const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN = '00f067aa0ba902b7';

type Serve = (routes: AnyRouteSpec[], bus: EventBus, audit: AuditLog) => Promise<{ url: string; close(): Promise<void> }>;

const frameworks: [string, Serve][] = [
  [
    'Express',
    async (routes, bus, audit) => {
      const al = aetherlinkExpress({ service: 'trace-test', routes, bus, audit, logger: silentLogger });
      const app = express();
      app.use(al.router);
      const server: Server = await new Promise((r) => {
        const s = app.listen(0, '127.0.0.1', () => r(s));
      });
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      };
    },
  ],
  [
    'Fastify',
    async (routes, bus, audit) => {
      const app = Fastify();
      await app.register(aetherlinkFastify, { service: 'trace-test', routes, bus, audit, logger: silentLogger });
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url, close: () => app.close() };
    },
  ],
];

let fake: FakeLlmServer;
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(async () => {
  fake = await startFakeLlmServer();
  trace.setGlobalTracerProvider(provider);
});
afterAll(async () => {
  trace.disable();
  await provider.shutdown();
  await fake.close();
});

describe.each(frameworks)('one trace across request, event and provider call: %s', (_name, serve) => {
  let bus: EventBus;
  let sink: ReturnType<typeof memoryAuditSink>;
  let router: Router;
  let served: { url: string; close(): Promise<void> };

  beforeEach(async () => {
    fake.reset();
    exporter.reset();
    bus = createEventBus();
    sink = memoryAuditSink();
    router = createRouter({ providers: fakeProviders(fake, ['claude', 'openai']), bus, logger: silentLogger, defaults: { retries: 0, timeoutMs: 5000 } });
    served = await serve(aiRoutes({ router, logger: silentLogger }), bus, createAuditLog({ service: 'trace-test', sinks: [sink] }));
  });
  afterEach(async () => {
    await served.close();
    await router.close();
  });

  const orchestrate = (headers: Record<string, string> = {}) =>
    fetch(`${served.url}/orchestrate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-roles': 'agent', ...headers },
      body: JSON.stringify({ intent: 'extract-lead', input: 'Ann Lee (ann@acme.io) from Acme called.' }),
    });

  const byName = (name: string): ReadableSpan => {
    const span = exporter.getFinishedSpans().find((s) => s.name === name);
    expect(span, `span "${name}" among ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`).toBeDefined();
    return span!;
  };

  it('joins the caller’s trace: server span, provider call spans and the publish span, linked parent to child', async () => {
    fake.set('claude', { kind: 'status', status: 500 });
    fake.set('openai', { kind: 'ok', text: LEAD });
    const res = await orchestrate({ traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'rojo=00f067aa0ba902b7' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ used_provider: 'openai' });

    await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === 'publish ai.fallback.used')).toBe(true);
    const server = byName('POST /orchestrate');
    const claude = byName('chat claude');
    const openai = byName('chat openai');
    const used = byName('publish ai.provider.used');
    const fallback = byName('publish ai.fallback.used');

    // One trace, the caller's; the server span is the caller's child, everything else the server span's.
    for (const span of [server, claude, openai, used, fallback]) expect(span.spanContext().traceId).toBe(CALLER_TRACE);
    expect(server.parentSpanContext?.spanId).toBe(CALLER_SPAN);
    expect(server.kind).toBe(1);
    for (const span of [claude, openai, used, fallback]) expect(span.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(claude.status.code).toBe(2);
    expect(openai.attributes).toMatchObject({ 'gen_ai.system': 'openai', 'aetherlink.ai.provider': 'openai' });
    expect(server.attributes).toMatchObject({ 'http.route': '/orchestrate', 'http.response.status_code': 200 });

    // Each provider got its own call span's id as the parent, with the caller's tracestate.
    const sent = (id: string) => fake.requests(id)[0]!.headers;
    expect(sent('claude').traceparent).toBe(`00-${CALLER_TRACE}-${claude.spanContext().spanId}-01`);
    expect(sent('openai').traceparent).toBe(`00-${CALLER_TRACE}-${openai.spanContext().spanId}-01`);
    expect(sent('openai').tracestate).toBe('rojo=00f067aa0ba902b7');

    // The stored events name their publish spans; the audit record names the trace.
    const events = (await bus.query({})).events;
    expect(events.find((e) => e.type === 'ai.provider.used')?.traceparent).toBe(`00-${CALLER_TRACE}-${used.spanContext().spanId}-01`);
    expect(events.find((e) => e.type === 'ai.fallback.used')?.traceparent).toBe(`00-${CALLER_TRACE}-${fallback.spanContext().spanId}-01`);
    await expect.poll(() => sink.records().find((r) => r.path === '/orchestrate')?.trace_id).toBe(CALLER_TRACE);
  });

  it('starts a trace for a request that brings none, and keeps requests apart', async () => {
    fake.set('claude', { kind: 'ok', text: LEAD });
    expect((await orchestrate()).status).toBe(200);
    expect((await orchestrate({ traceparent: 'not-a-traceparent' })).status).toBe(200);
    await expect.poll(() => exporter.getFinishedSpans().filter((s) => s.name === 'publish ai.provider.used').length).toBe(2);
    const servers = exporter.getFinishedSpans().filter((s) => s.name === 'POST /orchestrate');
    expect(servers).toHaveLength(2);
    const [a, b] = servers.map((s) => s.spanContext().traceId);
    expect(a).not.toBe(b);
    for (const s of servers) expect(s.parentSpanContext).toBeUndefined();
    for (const [i, request] of fake.requests('claude').entries()) {
      const call = exporter.getFinishedSpans().filter((s) => s.name === 'chat claude')[i]!;
      expect(request.headers.traceparent).toBe(`00-${call.spanContext().traceId}-${call.spanContext().spanId}-01`);
      expect(call.parentSpanContext?.spanId).toBe(servers[i]!.spanContext().spanId);
    }
  });
});
