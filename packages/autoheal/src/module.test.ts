import { createEventBus, createManualClock, createMetricsRegistry, createModuleHost, memoryDocumentStore, memoryHealHistoryStore } from '@aetherlink/core';
import { describe, expect, it } from 'vitest';
import { recordingRuntime } from '@aetherlink/core/testing';
import { AUTOHEAL_EVENT_TYPES } from './events.js';
import { autohealModule } from './module.js';

describe('autohealModule', () => {
  it('runs rounds on the interval from a leader loop, registers its event types and reports its metrics', async () => {
    const clock = createManualClock();
    const runtime = recordingRuntime({ clock, workloads: { api: {} } });
    let closed = false;
    runtime.close = async () => {
      closed = true;
    };
    let healthy = true;
    runtime.watch!((e) => e.action === 'start' && (healthy = true));
    const bus = createEventBus({ source: 'cc', clock });
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const autoheal = autohealModule({
      runtime,
      targets: [{ name: 'api', checks: [{ kind: 'custom', name: 'probe', run: () => healthy }] }],
      bus,
      documents: memoryDocumentStore({ clock }),
      history: memoryHealHistoryStore(),
      clock,
      random: () => 0.5,
      policy: { intervalMs: 1000, failureThreshold: 2, startGraceMs: 0, verifyIntervalMs: 100, budget: { restarts: 1 } },
    });
    expect(autoheal.loops).toEqual([expect.objectContaining({ name: 'autoheal', intervalMs: 50 })]);
    expect(autoheal.loops[0]!.runOn ?? 'leader').toBe('leader');
    const host = createModuleHost({ modules: [autoheal], schemas: bus.registry, metrics, clock });
    expect(AUTOHEAL_EVENT_TYPES.every((t) => bus.registry.has(t.type))).toBe(true);
    await host.start();
    await clock.advanceAsync(2000);
    healthy = false;
    // Two failing rounds a second apart, the restart, and its verification.
    await clock.advanceAsync(2500);
    expect(runtime.restarts()).toEqual(['api']);
    const text = await metrics.metrics();
    expect(text).toContain('aetherlink_autoheal_attempts_total{outcome="succeeded"} 1');
    expect(text).toMatch(/aetherlink_autoheal_time_to_heal_seconds_count 1/);
    expect(text).toMatch(/aetherlink_autoheal_round_duration_seconds_count [4-9]/);
    expect(text).toContain('aetherlink_autoheal_quarantined_services 0');
    // Broken again: the budget of one restart is spent, so it is quarantined.
    healthy = false;
    await clock.advanceAsync(30_000);
    expect(await metrics.metrics()).toContain('aetherlink_autoheal_quarantined_services 1');
    expect((await autoheal.healer.status()).services).toEqual([expect.objectContaining({ name: 'api', state: 'quarantined' })]);
    await host.close();
    expect(closed).toBe(true);
  });

  it('when disabled, runs no loop and says so', async () => {
    const autoheal = autohealModule({ runtime: null, enabled: false, documents: memoryDocumentStore(), history: memoryHealHistoryStore() });
    expect(autoheal.loops).toEqual([]);
    const [status] = autoheal.routes;
    expect(await status!.handler({} as never)).toMatchObject({ enabled: false, runtime: 'none', services: [] });
    await autoheal.close();
  });
});
