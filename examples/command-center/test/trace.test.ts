// W3C Trace Context through the reference server: the caller's trace (or one started here) reaches the events a
// request publishes, the registry probes it runs, the audit trail and the log lines written meanwhile.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { memoryAuditSink } from '@aetherlink/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE}-00f067aa0ba902b7-01`;

describe('trace context through the command center', () => {
  let cc: CommandCenter;
  let url: string;
  let health: Server;
  const probes: IncomingHttpHeaders[] = [];
  const sink = memoryAuditSink();
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    health = createServer((req, res) => {
      probes.push(req.headers);
      res.setHeader('content-type', 'application/json').end('{"status":"ok"}');
    });
    await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
    cc = await createCommandCenter(loadConfig({ LOG_LEVEL: 'debug', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:', TRACE_START: 'true' }), {
      auditSinks: [sink],
      env: {},
      logStream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
    await cc.registry.register({ name: 'billing', url: `http://127.0.0.1:${(health.address() as AddressInfo).port}` });
  });
  afterAll(async () => {
    await cc?.close();
    await new Promise<void>((r) => health.close(() => r()));
  });

  const publish = async (headers: Record<string, string>, source: string) => {
    const res = await fetch(`${url}/events/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-roles': 'agent', ...headers },
      body: JSON.stringify({ event_type: 'lead.created', source, payload: { lead_id: 1 } }),
    });
    expect(res.status).toBe(200);
    const { event_id } = (await res.json()) as { event_id: string };
    return (await cc.bus.query({ source })).events.find((e) => e.id === event_id)!;
  };

  it('stamps a published event with the caller’s traceparent and audits the trace id', async () => {
    const event = await publish({ traceparent: TRACEPARENT }, 'traced');
    expect(event.traceparent).toBe(TRACEPARENT);
    await expect.poll(() => sink.records().filter((r) => r.path === '/events/publish').map((r) => r.trace_id)).toContain(TRACE);
  });

  it('starts a trace for a request without one (TRACE_START=true)', async () => {
    const event = await publish({}, 'untraced');
    const id = /^00-([0-9a-f]{32})-[0-9a-f]{16}-01$/.exec(event.traceparent ?? '')?.[1];
    expect(id).toBeDefined();
    expect(id).not.toBe(TRACE);
    await expect.poll(() => sink.records().filter((r) => r.path === '/events/publish').map((r) => r.trace_id)).toContain(id);
  });

  it('sends the trace on the probes a request runs (GET /ops/health?fresh=true)', async () => {
    const before = probes.length;
    const res = await fetch(`${url}/ops/health?fresh=true`, { headers: { 'x-user-roles': 'operator', traceparent: TRACEPARENT } });
    expect(res.status).toBe(200);
    expect(probes.slice(before).map((h) => h.traceparent)).toEqual([TRACEPARENT]);
  });

  it('names the trace in the log lines written while a request is handled', async () => {
    // No provider answers here (the default Ollama address has nothing behind it): the router logs every failure.
    const res = await fetch(`${url}/orchestrate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-roles': 'agent', traceparent: TRACEPARENT },
      body: JSON.stringify({ intent: 'extract-lead', input: 'Ann Lee, ann@acme.io' }),
    });
    expect(res.status).toBe(502);
    await expect.poll(() => lines.find((l) => l.msg === 'every provider failed')).toMatchObject({ trace_id: TRACE, component: 'ai-router' });
  });
});
