import { createMetricsRegistry, createModuleHost, defineRoute, memoryDeliveryStore, memoryDocumentStore, silentLogger } from '@aetherlink/core';
import { eventually } from '@aetherlink/core/testing';
import { describe, expect, it } from 'vitest';
import { alertWorld, recordingNotifier } from './_testing/harness.js';
import { alertsModule } from './module.js';

const S = 1000;

describe('alertsModule', () => {
  it('evaluates in a leader loop every evaluationIntervalMs on the injected clock, and reports firing alerts by rule in /metrics', async () => {
    const w = alertWorld();
    const notifier = recordingNotifier();
    const metrics = createMetricsRegistry();
    const mod = alertsModule({ deliveries: memoryDeliveryStore(), owner: 'a', clock: w.clock, notifier, logger: silentLogger, rules: { bus: w.bus, documents: w.documents, evaluationIntervalMs: 15 * S } });
    const host = createModuleHost({ modules: [mod], clock: w.clock, metrics, logger: silentLogger });
    await mod.rules!.create({ name: 'api-errors', event_type: 'api.error', window_seconds: 60, threshold: 3 });
    await host.start();
    await eventually(() => mod.evaluator!.windows().rules === 1, 'the first leader pass');
    expect(mod.evaluator!.windows()).toEqual({ live: true, rules: 1, groups: 0 });
    await w.publish(3);
    expect(notifier.notices).toHaveLength(0);
    await w.clock.advanceAsync(15 * S);
    await eventually(() => notifier.notices.length > 0, 'the firing notice');
    expect(notifier.notices.map((n) => n.status)).toEqual(['firing']);
    const text = await metrics.metrics();
    expect(text).toMatch(/aetherlink_alerts_firing\{rule="api-errors"\} 1/);
    expect(text).toMatch(/aetherlink_alerts_notifications_total\{outcome="sent"\} 1/);
    expect(text).toMatch(/aetherlink_alerts_evaluation_duration_seconds_count [1-9]/);
    await host.close();
    expect(mod.evaluator!.windows().live).toBe(false);
  });

  it('composes parts (routes, loops and metrics from elsewhere) and keeps working the delivery queue without rules', async () => {
    let closed = false;
    const route = defineRoute({ method: 'GET', path: '/alerts/extra', permission: 'ops:read', handler: () => ({ extra: [] }) });
    const mod = alertsModule({
      deliveries: memoryDeliveryStore(),
      documents: memoryDocumentStore(),
      owner: 'a',
      logger: silentLogger,
      parts: [{ routes: [route], loops: [{ name: 'delivery-sweep', intervalMs: 1000, run: () => undefined }], close: () => void (closed = true) }],
    });
    // The delivery part's routes, then the part's.
    expect(mod.routes.map((r) => r.path)).toEqual([...mod.delivery.routes.map((r) => r.path), '/alerts/extra']);
    expect(mod.routes.map((r) => r.path)).toContain('/alerts/deliveries');
    expect(mod.loops.map((l) => l.name)).toEqual(['deliveries', 'lease-expiry', 'delivery-sweep']);
    expect(mod.evaluator).toBeUndefined();
    await mod.close();
    expect(closed).toBe(true);
  });
});
