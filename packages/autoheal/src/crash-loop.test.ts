import { processRuntime, type ProcessRuntime } from '@aetherlink/adapters/process';
import { createEventBus, memoryDocumentStore, memoryHealHistoryStore, type StoredEvent } from '@aetherlink/core';
import { eventually } from '@aetherlink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTOHEAL_EVENT_TYPES } from './events.js';
import { createAutoHealer, type AutoHealer } from './healer.js';

// A real child process in a crash loop, under the process supervisor: every start exits at once with code 3.
let runtime: ProcessRuntime | undefined;
let healer: AutoHealer | undefined;
let loop: ReturnType<typeof setInterval> | undefined;
afterEach(async () => {
  clearInterval(loop);
  await healer?.close();
  await runtime?.close();
});

describe('a crash loop under the process supervisor', () => {
  it('restarts with backoff until the budget is spent, then quarantines it with an event and restarts it no more', async () => {
    runtime = processRuntime({ workloads: { worker: { command: '/bin/sh', args: ['-c', 'echo "worker: cannot open /data/queue.db"; exit 3'] } } });
    const events: StoredEvent[] = [];
    const bus = createEventBus({ source: 'autoheal-test' });
    for (const type of AUTOHEAL_EVENT_TYPES) bus.registry.register(type);
    bus.subscribe({ type: 'autoheal.*' }, (e) => events.push(e));
    healer = createAutoHealer({
      runtime,
      bus,
      documents: memoryDocumentStore(),
      history: memoryHealHistoryStore(),
      // No checks: the supervisor's own view (running passes, exited fails), as docker-autoheal looks at it.
      targets: [{ name: 'worker', successThreshold: 2 }],
      policy: {
        intervalMs: 200, failureThreshold: 1, startGraceMs: 0, verifyIntervalMs: 100, verifyWindowMs: 700,
        backoff: { initialMs: 300, factor: 2, jitter: 0 }, budget: { restarts: 3, windowMs: 60_000 },
      },
    });
    await runtime.start();
    loop = setInterval(() => void healer!.runDue(), 25);
    await eventually(() => events.some((e) => e.type === 'autoheal.quarantined'), 'the worker quarantined', 30_000);

    expect(events.map((e) => e.type)).toEqual([...Array.from({ length: 3 }, () => ['autoheal.attempted', 'autoheal.failed']).flat(), 'autoheal.quarantined']);
    expect(events.at(-1)).toMatchObject({ severity: 'critical', data: { service: 'worker', reason: 'budget', restarts: 3 } });
    const { history } = await healer.history({ limit: 10 });
    expect(history.map((r) => [r.outcome, r.attempt, r.delay_ms])).toEqual([['failed', 3, 600], ['failed', 2, 300], ['failed', 1, 0]]);
    expect(history[0]!.error).toMatch(/did not pass by .*exited with code 3/);
    expect(runtime.output('worker').filter((l) => l.includes('cannot open'))).toHaveLength(4);

    // Rounds go on; the quarantine holds.
    const at = Date.parse((await healer.status()).last_check!);
    await eventually(async () => Date.parse((await healer!.status()).last_check!) >= at + 1000, 'five more rounds');
    expect(await healer.service('worker')).toMatchObject({ state: 'quarantined', quarantine: { reason: 'budget' }, budget: { used: 3, limit: 3 }, decision: { reason: 'quarantined' } });
    expect(runtime.output('worker').filter((l) => l.includes('cannot open'))).toHaveLength(4);
    expect((await runtime.inspect('worker')).restartCount).toBe(3);
  }, 60_000);
});
