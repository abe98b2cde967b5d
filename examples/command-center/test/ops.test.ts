import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eventually } from '@aetherlink/core/testing';
import { startServer, type RunningServer } from './helpers.js';

// The reference server as its own process: /metrics, /health, /health.json, and what SIGTERM does.
vi.setConfig({ testTimeout: 90_000 });

const operator = { 'x-user-roles': 'operator' };

describe('the reference server: metrics and health', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ REGISTRY_PROBE_INTERVAL_SECONDS: '1' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('serves /metrics in the Prometheus text format, with each module contributing', async () => {
    await fetch(`${server.url}/events/publish`, {
      method: 'POST',
      headers: { 'x-user-roles': 'agent', 'content-type': 'application/json' },
      body: JSON.stringify({ event_type: 'lead.created', source: 'crm', payload: { lead_id: 7 } }),
    });
    // The server registered itself; its registry has a service to count.
    await eventually(async () => ((await (await fetch(`${server.url}/ops/services`, { headers: operator })).json()) as { count: number }).count === 1, 'self-registration');
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const families = new Map(parsePrometheusTextFormat(await res.text()).map((f) => [f.name, f]));
    for (const name of [
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'http_request_duration_seconds',
      'aetherlink_events_published_total',
      'aetherlink_registry_services',
      'aetherlink_ai_provider_calls',
      'aetherlink_ai_provider_breaker_state',
    ]) {
      expect(families.has(name), `${name} is served`).toBe(true);
    }
    const published = families.get('aetherlink_events_published_total')!.metrics;
    expect(published.find((m) => m.labels?.type === 'lead.created' && m.labels.severity === 'info')?.value).toBe('1');
    const services = families.get('aetherlink_registry_services')!.metrics;
    expect(services.reduce((n, m) => n + Number(m.value), 0)).toBe(1);
  });

  it('answers /health and /health.json with a check per module', async () => {
    const live = await fetch(`${server.url}/health`);
    expect(live.status).toBe(200);
    const ready = await fetch(`${server.url}/health.json`);
    expect(ready.headers.get('content-type')).toMatch(/^application\/health\+json/);
    const report = (await ready.json()) as { status: string; checks: Record<string, { status: string; observedUnit?: string }[]> };
    expect(ready.status).toBe(200);
    expect(report.checks['database:ping']?.[0]).toMatchObject({ status: 'pass', observedUnit: 'ms' });
    for (const loop of ['alert-evaluator', 'autoheal', 'deliveries', 'lease-expiry', 'registry-probe', 'registry-leases']) expect(report.checks[`loop:${loop}`], loop).toBeDefined();
    expect(report.checks['leadership:loops']?.[0]?.status).toBe('pass');
  });
});

describe('the reference server on SIGTERM', () => {
  it('fails readiness, deregisters, finishes requests in flight, and exits 0 within the deadline', async () => {
    const server = await startServer({ SHUTDOWN_DRAIN_DELAY_MS: '3000', SHUTDOWN_TIMEOUT_MS: '20000', LOG_LEVEL: 'info' });
    try {
      const services = async () => (await (await fetch(`${server.url}/ops/services`, { headers: operator })).json()) as { count: number; index: number };
      await eventually(async () => (await services()).count === 1, 'the server registered itself');
      // A blocking change-feed query is in flight when the signal comes.
      const { index } = await services();
      const inFlight = fetch(`${server.url}/ops/services?index=${index + 1000}&wait=60s`, { headers: operator });
      server.proc.kill('SIGTERM');
      // Readiness fails at once while the server still answers (the drain delay).
      const draining = await eventually(async () => {
        const res = await fetch(`${server.url}/health.json`);
        return res.status === 503 ? ((await res.json()) as { checks: Record<string, { status: string }[]> }) : undefined;
      }, 'readiness answers 503');
      expect(draining.checks['shutdown:draining']?.[0]?.status).toBe('fail');
      // It deregisters itself while it still answers, and the long poll is answered rather than cut.
      await eventually(async () => (await services()).count === 0, 'the server deregistered itself');
      expect((await inFlight).status).toBe(200);
      // No second signal (that would exit at once): wait for the process to end by itself.
      const code = await new Promise<number | null>((resolve) => (server.proc.exitCode !== null ? resolve(server.proc.exitCode) : server.proc.once('exit', resolve)));
      expect(code, server.output()).toBe(0);
      expect(server.output()).toMatch(/shutdown complete/);
    } finally {
      await server.crash();
    }
  });
});
