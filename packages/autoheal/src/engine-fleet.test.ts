import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './_testing/harness.js';

let h: Harness;
afterEach(() => h?.close());

const names = (n: number, prefix = 'svc') => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

describe('global caps', () => {
  it('never has more heals in flight than concurrentRestarts; the others wait their turn and say so', async () => {
    h = harness({ services: names(20), policy: { failureThreshold: 1, caps: { concurrentRestarts: 2, restartsPerMinute: 100 }, fleetGuard: { share: 0.5 } }, healOnRestart: false });
    const inFlight = async () => (await h.healer.status()).services.filter((s) => s.state === 'restarting' || s.state === 'verifying').length;
    for (const n of names(5)) h.set(n, false);
    await h.round();
    await h.round();
    await h.round();
    expect(h.runtime.restarts()).toEqual(['svc-00', 'svc-01']);
    expect(await inFlight()).toBe(2);
    expect((await h.healer.service('svc-04'))!.decision).toMatchObject({ action: 'skip', reason: 'concurrency_cap' });
    // As heals end (their services pass again), the next ones start, two at most at any time.
    let peak = 0;
    for (let i = 0; i < 8; i++) {
      for (const id of h.runtime.restarts()) h.set(id, true);
      await h.round();
      peak = Math.max(peak, await inFlight());
    }
    expect(h.runtime.restarts()).toEqual(['svc-00', 'svc-01', 'svc-02', 'svc-03', 'svc-04']);
    expect(peak).toBe(2);
  });

  it('starts no more than restartsPerMinute restarts in any minute, across services', async () => {
    h = harness({ services: names(20), policy: { failureThreshold: 1, caps: { concurrentRestarts: 10, restartsPerMinute: 3 }, fleetGuard: { share: 0.5 } } });
    for (const n of names(6)) h.set(n, false);
    await h.round();
    expect(h.runtime.restarts()).toHaveLength(3);
    for (let i = 0; i < 58; i++) await h.round();
    expect(h.runtime.restarts()).toHaveLength(3);
    expect((await h.healer.service('svc-05'))!.decision).toMatchObject({ reason: 'rate_cap' });
    await h.round();
    await h.round();
    expect(h.runtime.restarts()).toHaveLength(6);
  });
});

describe('fleet guard', () => {
  it('restarts nothing when more than 15 % of the fleet fails in one round, says so once, and resumes when it passes', async () => {
    h = harness({ services: names(10), policy: { failureThreshold: 1 } });
    await h.round();
    for (const n of names(4)) h.set(n, false);
    await h.round();
    await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    const guard = h.events.filter((e) => e.type === 'autoheal.skipped');
    expect(guard).toHaveLength(1);
    expect(guard[0]!.data).toMatchObject({ service: '*', reason: 'fleet_guard', failing: 4, fleet: 10, services: names(4) });
    expect((await h.healer.status()).fleet_guard).toMatchObject({ failing: 4, fleet: 10 });
    expect((await h.healer.service('svc-00'))!.decision).toMatchObject({ reason: 'fleet_guard' });
    // Only one still failing: 10 % is under the guard, and one failure is never a fleet event.
    for (const n of names(3)) h.set(n, true);
    await h.round();
    expect(h.runtime.restarts()).toEqual(['svc-03']);
    expect((await h.healer.status()).fleet_guard).toBeNull();
  });

  it('does not trip for a small fleet where one or two services fail', async () => {
    h = harness({ services: names(2), policy: { failureThreshold: 1 } });
    h.set('svc-00', false);
    await h.round();
    expect(h.runtime.restarts()).toEqual(['svc-00']);
  });
});

describe('dependencies', () => {
  it('heals the dependency first and does not restart its dependents for its fault', async () => {
    h = harness({ services: ['db', { name: 'api', dependsOn: ['db'] }, { name: 'web', dependsOn: ['api'] }], policy: { failureThreshold: 2 }, healOnRestart: false });
    await h.round();
    for (const n of ['db', 'api', 'web']) h.set(n, false);
    await h.round();
    await h.round();
    expect(h.runtime.restarts()).toEqual(['db']);
    expect((await h.healer.service('api'))!.decision).toMatchObject({ reason: 'dependency_down', message: expect.stringContaining('depends on db') });
    expect((await h.healer.service('web'))!.decision).toMatchObject({ reason: 'dependency_down', message: expect.stringContaining('depends on api') });
    // db comes back; api recovers by itself, web stays broken: web counts afresh and is restarted after 2 more failures.
    h.set('db', true);
    h.set('api', true);
    await h.advance(200);
    await h.healer.idle();
    await h.round();
    expect(h.runtime.restarts()).toEqual(['db']);
    await h.round();
    expect(h.runtime.restarts()).toEqual(['db', 'web']);
    await expect(h.history.list({ limit: 10, outcome: 'skipped' })).resolves.toEqual(
      expect.arrayContaining([expect.objectContaining({ service: 'api', reason: 'dependency_down' })]),
    );
  });

  it('leaves services known broken (quarantined, stopped by a person) out of the fleet guard', async () => {
    h = harness({ services: names(10), policy: { failureThreshold: 1 } });
    await h.round();
    for (const n of names(3)) await h.healer.quarantine(n, 'ops', 'known broken');
    h.runtime.stop('svc-03');
    for (const n of names(4)) h.set(n, false);
    await h.round();
    await h.round();
    h.set('svc-04', false);
    await h.round();
    expect(h.runtime.restarts()).toEqual(['svc-04']);
    expect((await h.healer.status()).fleet_guard).toBeNull();
  });

  it('counts the symptoms of a dependency as one failure for the fleet guard', async () => {
    h = harness({ services: ['db', ...names(3, 'api').map((name) => ({ name, dependsOn: ['db'] }))], policy: { failureThreshold: 1 }, healOnRestart: false });
    await h.round();
    for (const n of ['db', ...names(3, 'api')]) h.set(n, false);
    await h.round();
    expect(h.runtime.restarts()).toEqual(['db']);
    expect(h.events.some((e) => e.data && (e.data as { reason?: string }).reason === 'fleet_guard')).toBe(false);
  });

  it('refuses a cycle of dependencies at configuration time, naming it', () => {
    expect(() => harness({ services: [{ name: 'a', dependsOn: ['b'] }, { name: 'b', dependsOn: ['a'] }] })).toThrow(/cycle: a → b → a/);
  });
});

describe('a storm', () => {
  it('ten of twelve failing at once: the fleet guard holds every restart, and one event says so', async () => {
    h = harness({ services: names(12), policy: { failureThreshold: 2 } });
    await h.round();
    for (const n of names(10)) h.set(n, false);
    for (let i = 0; i < 5; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(h.events.filter((e) => e.type === 'autoheal.skipped').map((e) => e.data)).toEqual([expect.objectContaining({ service: '*', failing: 10, fleet: 12 })]);
  });

  it('ten of eighty failing at once: exactly the default caps restart, and the one in maintenance never', async () => {
    h = harness({ services: names(80), policy: { failureThreshold: 2, verifyWindowMs: 60_000 }, healOnRestart: false });
    await h.round();
    await h.healer.setWindow({ service: 'svc-00', reason: 'kernel upgrade' }, 'ops');
    for (const n of names(10)) h.set(n, false);
    // Heals stay in flight (their services do not come back), so the concurrency cap of 3 holds them all.
    for (let i = 0; i < 20; i++) await h.round();
    expect(h.runtime.restarts()).toHaveLength(3);
    expect(h.runtime.restarts()).not.toContain('svc-00');
    // From now on a restarted service comes back: the heals end and the others follow, three at a time.
    h.runtime.watch!((e) => e.action === 'start' && h.set(e.id, true));
    for (const id of h.runtime.restarts()) h.set(id, true);
    for (let i = 0; i < 60; i++) await h.round();
    expect(h.runtime.restarts().sort()).toEqual(names(10).slice(1));
    expect(h.runtime.restarts()).not.toContain('svc-00');
    expect((await h.healer.service('svc-00'))!.decision.reason).toBe('maintenance');
  });
});
