import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry, DURATION_BUCKETS, httpRequestMetric } from './metrics.js';

const observations: [string, string, number, number][] = [
  ['GET', '/items/{id}', 200, 0.0004],
  ['GET', '/items/{id}', 200, 0.001],
  ['GET', '/items/{id}', 200, 0.0123],
  ['GET', '/items/{id}', 404, 0.2],
  ['POST', '/events/publish', 202, 0.003],
  ['POST', '/events/publish', 202, 75],
  ['GET', '/say "hi"\\', 500, 2.5],
];

// The same requests counted by prom-client's own Histogram: what the registry exposed before.
function promClient(labels?: Record<string, string>) {
  const registry = new Registry();
  if (labels) registry.setDefaultLabels(labels);
  const h = new Histogram({ name: 'http_request_duration_seconds', help: 'HTTP requests by method, route template and status, in seconds', labelNames: ['method', 'route', 'status'], buckets: DURATION_BUCKETS, registers: [registry] });
  for (const [method, route, status, s] of observations) h.observe({ method, route, status: String(status) }, s);
  return registry;
}

function ours(labels?: Record<string, string>) {
  const registry = createMetricsRegistry({ defaultMetrics: false, ...(labels ? { labels } : {}) });
  const observe = httpRequestMetric(registry);
  for (const [method, route, status, s] of observations) observe(method, route, status, s);
  return registry;
}

describe('http_request_duration_seconds', () => {
  it('exposes the same text and JSON as a prom-client Histogram fed the same requests', async () => {
    for (const labels of [undefined, { instance: 'a-1' }]) {
      expect(await ours(labels).metrics()).toBe(await promClient(labels).metrics());
      expect(await ours(labels).getMetricsAsJSON()).toEqual(await promClient(labels).getMetricsAsJSON());
    }
  });

  it('is shared by every adapter on one registry, and starts over on reset', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    httpRequestMetric(registry)('GET', '/a', 200, 0.002);
    httpRequestMetric(registry)('GET', '/a', 200, 0.02);
    expect(await registry.metrics()).toContain('http_request_duration_seconds_count{method="GET",route="/a",status="200"} 2');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('route="/a"');
  });

  it('records into a histogram of that name the app registered itself', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const own = new Histogram({ name: 'http_request_duration_seconds', help: 'mine', labelNames: ['method', 'route', 'status'], buckets: [1], registers: [registry] });
    httpRequestMetric(registry)('GET', '/a', 200, 0.5);
    expect((await own.get()).values.find((v) => v.metricName === 'http_request_duration_seconds_count')?.value).toBe(1);
  });

  it('records into the histogram another copy of this package registered', () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const seen: unknown[][] = [];
    const other = { [Symbol.for('aetherlink.requestDurations')]: true, name: 'http_request_duration_seconds', get: async () => ({}), observe: (...args: unknown[]) => seen.push(args) };
    registry.registerMetric(other as never);
    httpRequestMetric(registry)('GET', '/a', 200, 0.5);
    expect(seen).toEqual([['GET', '/a', 200, 0.5]]);
  });

  it('does not count a duration that is not a number', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const observe = httpRequestMetric(registry);
    observe('GET', '/a', 200, Number.NaN);
    observe('GET', '/a', 200, 0.001);
    expect(await registry.metrics()).toContain('http_request_duration_seconds_count{method="GET",route="/a",status="200"} 1');
  });
});
