import { sqliteStores } from '@aetherlink/adapters/sqlite';
import { memoryDocumentStore, memoryHealHistoryStore, type DocumentStore, type HealHistoryStore } from '@aetherlink/core';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { harness, type Harness } from './_testing/harness.js';

let h: Harness;
let other: Harness | undefined;
afterEach(async () => {
  await h?.close();
  await other?.close();
  other = undefined;
});

const why = async (name = 'api', on = h) => (await on.healer.service(name))!;

describe('verified outcome', () => {
  it('counts a heal as succeeded only once the checks pass again within the verify window', async () => {
    h = harness({ policy: { failureThreshold: 1, verifyWindowMs: 3000 }, healOnRestart: false });
    h.set('api', false);
    const t0 = h.clock.now();
    await h.healer.runRound();
    await h.advance(500);
    expect(await why()).toMatchObject({ state: 'verifying', heal: { phase: 'verifying', attempt: 1 }, decision: { reason: 'verifying' } });
    expect(h.types()).toEqual(['autoheal.attempted']);
    h.set('api', true);
    await h.advance(200);
    await h.healer.idle();
    expect(h.types()).toEqual(['autoheal.attempted', 'autoheal.succeeded']);
    const [record] = await h.history.list({ limit: 1 });
    expect(record).toMatchObject({ outcome: 'succeeded', duration_ms: 600, started_at: new Date(t0).toISOString() });
  });

  it('fails a heal whose service does not pass within the verify window, and backs off', async () => {
    h = harness({ policy: { failureThreshold: 1, verifyWindowMs: 2000, backoff: { jitter: 0 } }, healOnRestart: false });
    h.set('api', false);
    await h.healer.runRound();
    await h.advance(2500);
    await h.healer.idle();
    expect(h.types()).toEqual(['autoheal.attempted', 'autoheal.failed']);
    expect(h.events[1]).toMatchObject({ severity: 'error', data: { service: 'api', error: expect.stringContaining('did not pass by') } });
    const [record] = await h.history.list({ limit: 1 });
    expect(record).toMatchObject({ outcome: 'failed', attempt: 1, error: expect.stringContaining('HTTP 500') });
    expect(await why()).toMatchObject({ state: 'unhealthy', heal: null, decision: { reason: 'not_verified' }, backoff: { attempt: 1, next_delay_ms: 10_000 } });
  });

  it('fails a heal whose restart the runtime refused', async () => {
    h = harness({ policy: { failureThreshold: 1 } });
    h.runtime.failRestart('api', new Error('container api is marked for removal'), 10);
    h.set('api', false);
    await h.round();
    await h.healer.idle();
    const [record] = await h.history.list({ limit: 1 });
    expect(record).toMatchObject({ outcome: 'failed', error: 'the restart failed: container api is marked for removal' });
    expect((await why()).decision.reason).toBe('restart_failed');
  });
});

const backends: [string, () => { documents: DocumentStore; history: HealHistoryStore; close(): Promise<void> }][] = [
  ['memory', () => ({ documents: memoryDocumentStore(), history: memoryHealHistoryStore(), close: async () => undefined })],
  ['sqlite', () => {
    const stores = sqliteStores({ path: ':memory:' });
    return { documents: stores.documents, history: stores.heal, close: () => stores.close() };
  }],
];

describe.each(backends)('leader hand-over (%s)', (_name, open) => {
  it('a new leader finishes the heal the last one began, and keeps its backoff and budget', async () => {
    const stores = open();
    onTestFinished(() => stores.close());
    h = harness({ policy: { failureThreshold: 1, backoff: { jitter: 0 }, budget: { restarts: 2, windowMs: 600_000 } }, healOnRestart: false, stores });
    const term = new AbortController();
    // It does not stop on SIGTERM: the restart waits its stop timeout, on the test's clock.
    h.runtime.behave('api', 'stubborn');
    h.set('api', false);
    await h.healer.runRound(term.signal);
    expect(h.runtime.restarts()).toHaveLength(1);
    h.runtime.behave('api', 'graceful');
    // Leadership moves on while the restart is still running; the old leader writes nothing more.
    term.abort();
    await h.healer.idle();
    expect(await why()).toMatchObject({ heal: { phase: 'restarting', attempt: 1 } });

    other = harness({ peer: h, policy: { failureThreshold: 1, backoff: { jitter: 0 }, budget: { restarts: 2, windowMs: 600_000 } } });
    h.set('api', true);
    await other.round();
    expect((await h.history.list({ limit: 10 })).map((r) => [r.outcome, r.attempt])).toEqual([['succeeded', 1]]);
    expect(h.types()).toEqual(['autoheal.attempted', 'autoheal.succeeded']);
    expect(await why('api', other)).toMatchObject({ heal: null, backoff: { attempt: 1, next_delay_ms: 10_000 }, budget: { used: 1 } });

    // Broken again at once: the backoff the first leader's heal set holds, then attempt 2 … and the budget of 2 is spent.
    h.set('api', false);
    await other.round();
    expect(h.runtime.restarts()).toHaveLength(1);
    expect((await why('api', other)).decision.reason).toBe('backoff');
    for (let i = 0; i < 10 && h.runtime.restarts().length < 2; i++) await other.round();
    expect(h.runtime.restarts()).toHaveLength(2);
    h.set('api', true);
    await other.round();
    await other.healer.idle();
    h.set('api', false);
    expect((await h.history.list({ limit: 1 }))[0]).toMatchObject({ attempt: 2, delay_ms: 10_000 });
    for (let i = 0; i < 30; i++) await other.round();
    expect(h.runtime.restarts()).toHaveLength(2);
    expect((await why('api', other)).quarantine).toMatchObject({ reason: 'budget' });
  });
});

describe('history and stats', () => {
  it('computes the seed stats in the package, with time to heal and the quarantined set', async () => {
    h = harness({ services: ['api', 'db'], policy: { failureThreshold: 2, backoff: { initialMs: 1000, jitter: 0 } } });
    await h.round();
    for (let i = 0; i < 2; i++) {
      h.set('api', false);
      await h.round();
      await h.round();
      await h.healer.idle();
      await h.round();
    }
    h.runtime.failRestart('db', new Error('no such container'), 10);
    h.set('db', false);
    await h.round();
    await h.round();
    await h.healer.idle();
    await h.healer.quarantine('db', 'erin', 'broken image');
    const stats = await h.healer.stats();
    expect(stats).toMatchObject({ total_attempts: 3, successful: 2, failed: 1, success_rate: 0.6667, services: { api: 2, db: 1 }, most_healed: 'api', skipped: 0 });
    expect(Object.keys(stats.services)).toEqual(['api', 'db']);
    // api failed at one round, its second failure a second later started the heal, which passed 100 ms after that.
    expect(stats.time_to_heal_ms).toEqual({ p50: 1100, p95: 1100, samples: 2 });
    expect(stats.quarantined).toEqual([{ service: 'db', since: expect.any(String), reason: 'operator' }]);
    const page = await h.healer.history({ limit: 2 });
    expect(page).toMatchObject({ total_in_history: 3, limit: 2 });
    expect(page.history.map((r) => r.service)).toEqual(['db', 'api']);
  });
});
