import { auditModule, createAuditLog, createEventBus, createMetricsRegistry, createModuleHost, eventsModule, Gauge, memoryAuditSink, opsRoutes, silentLogger, type Module } from '@aetherlink/core';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startExpress, startFastify } from './test-support.js';

/** A module of the app's own: a loop, a metric, a readiness check and an event type. */
function widgetsModule(): Module & { passes: () => number } {
  let passes = 0;
  return {
    name: 'widgets',
    routes: [],
    loops: [{ name: 'widget-sweep', intervalMs: 60_000, runOn: 'every', run: () => void passes++ }],
    eventTypes: [{ type: 'widget.made', description: 'A widget was made.', schema: z.object({ n: z.number() }) }],
    metrics: (registry) => void new Gauge({ name: 'widgets_in_stock', help: 'Widgets in stock', registers: [registry], collect() { this.set(42); } }),
    readiness: [{ name: 'widgets:stock', check: () => ({ status: 'pass', observedValue: 42 }) }],
    passes: () => passes,
    close: () => undefined,
  };
}

for (const [framework, start] of [['express', startExpress], ['fastify', startFastify]] as const) {
  describe(`modules mounted on ${framework}: /metrics, /health, /health.json`, () => {
    let close: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await close?.();
      close = undefined;
    });

    async function serve(metricsPermission?: 'ops:read') {
      const bus = createEventBus({ logger: silentLogger });
      const audit = createAuditLog({ service: 'shop', sinks: [memoryAuditSink()] });
      const metrics = createMetricsRegistry();
      const widgets = widgetsModule();
      const host = createModuleHost({ modules: [eventsModule({ bus }), auditModule({ audit }), widgets], schemas: bus.registry, metrics, logger: silentLogger, version: '9.9.9' });
      const routes = [...host.routes(), ...opsRoutes({ host, metrics, ...(metricsPermission ? { metricsPermission } : {}) })];
      const server = await start({ service: 'shop', routes, audit, bus, metrics, guarded: { path: '/guarded', permission: 'ops:read' } });
      await host.start();
      close = async () => {
        await host.close();
        await server.close();
      };
      return { url: server.url, host, widgets, metrics };
    }

    it('serves Prometheus text a real parser reads: process, HTTP, events and module metrics', async () => {
      const { url, metrics } = await serve();
      const publish = (type: string) =>
        fetch(`${url}/events/publish`, { method: 'POST', headers: { 'x-user-roles': 'agent', 'content-type': 'application/json' }, body: JSON.stringify({ type, source: 'shop', data: { n: 1 } }) });
      expect((await publish('widget.made')).status).toBe(200);
      expect((await publish('widget.made')).status).toBe(200);
      expect((await publish('something.else')).status).toBe(200);
      const res = await fetch(`${url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const families = new Map(parsePrometheusTextFormat(await res.text()).map((f) => [f.name, f]));
      expect(families.get('process_cpu_user_seconds_total')?.type).toBe('COUNTER');
      expect(families.get('widgets_in_stock')?.metrics[0]?.value).toBe('42');
      const published = families.get('aetherlink_events_published_total')!;
      expect(published.type).toBe('COUNTER');
      const count = (type: string) => published.metrics.find((m) => m.labels?.type === type)?.value;
      expect(count('widget.made')).toBe('2');
      // A type no module registered is counted without becoming a label value of its own.
      expect(count('something.else')).toBeUndefined();
      expect(count('unregistered')).toBe('1');
      expect(families.get('http_request_duration_seconds')?.type).toBe('HISTOGRAM');
      // The parser keeps no labels of a labelled histogram's samples: read those from the registry itself.
      const [http] = (await metrics.getMetricsAsJSON()).filter((m) => m.name === 'http_request_duration_seconds');
      const publishes = (http?.values ?? []).find(
        (v) => (v as { metricName?: string }).metricName === 'http_request_duration_seconds_count' && v.labels.method === 'POST' && v.labels.route === '/events/publish' && v.labels.status === '200',
      );
      expect(publishes?.value).toBe(3);
    });

    it('answers liveness and readiness as application/health+json, and 503 once draining', async () => {
      const { url, host, widgets } = await serve();
      const live = await fetch(`${url}/health`);
      expect(live.status).toBe(200);
      expect(live.headers.get('content-type')).toMatch(/^application\/health\+json/);
      expect(await live.json()).toEqual({ status: 'pass' });

      const ready = await fetch(`${url}/health.json`);
      expect(ready.status).toBe(200);
      expect(ready.headers.get('content-type')).toMatch(/^application\/health\+json/);
      const report = (await ready.json()) as { status: string; version: string; checks: Record<string, { status: string }[]> };
      expect(report).toMatchObject({ status: 'pass', version: '9.9.9' });
      expect(Object.keys(report.checks).sort()).toEqual(['leadership:loops', 'loop:widget-sweep', 'widgets:stock']);
      expect(widgets.passes()).toBe(1);

      await host.drain();
      const draining = await fetch(`${url}/health.json`);
      expect(draining.status).toBe(503);
      expect(((await draining.json()) as { checks: Record<string, { status: string }[]> }).checks['shutdown:draining']?.[0]?.status).toBe('fail');
      // Liveness is unaffected: the process still answers.
      expect((await fetch(`${url}/health`)).status).toBe(200);
    });

    it('can require a role for /metrics', async () => {
      const { url } = await serve('ops:read');
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/metrics`, { headers: { 'x-user-roles': 'viewer' } })).status).toBe(200);
    });
  });
}
