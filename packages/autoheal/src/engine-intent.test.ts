import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './_testing/harness.js';

let h: Harness;
afterEach(() => h?.close());

const why = async (name = 'api') => (await h.healer.service(name))!;
const skipped = async () => (await h.history.list({ limit: 50, outcome: 'skipped' })).map((r) => [r.service, r.reason]);

describe('operator intent', () => {
  it('never restarts a service under maintenance, records the skip once, and starts afresh (with grace) when it ends', async () => {
    h = harness({ policy: { failureThreshold: 2, startGraceMs: 3000 } });
    await h.round();
    await h.advance(3000);
    const w = await h.healer.setWindow({ service: 'api', duration_seconds: 10, reason: 'upgrading postgres' }, 'alice');
    expect(w).toMatchObject({ kind: 'maintenance', by: 'alice', in_force: true });
    h.set('api', false);
    for (let i = 0; i < 9; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(await why()).toMatchObject({ state: 'maintenance', decision: { reason: 'maintenance', message: expect.stringContaining('maintenance by alice: upgrading postgres') } });
    expect(await skipped()).toEqual([['api', 'maintenance']]);
    expect(h.events.filter((e) => e.type === 'autoheal.skipped').map((e) => e.data)).toEqual([
      expect.objectContaining({ service: 'api', reason: 'maintenance' }),
    ]);
    // The window ends: 3 s of grace, then two failures, then the restart.
    for (let i = 0; i < 3; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect((await why()).decision.reason).toMatch(/start_grace|threshold_not_reached/);
    for (let i = 0; i < 4 && h.runtime.restarts().length === 0; i++) await h.round();
    expect(h.runtime.restarts()).toEqual(['api']);
  });

  it('a window for "*" covers every service, and clearing it ends it at once', async () => {
    h = harness({ services: ['a', 'b'], policy: { failureThreshold: 1, fleetGuard: { minFailing: 5 } } });
    const w = await h.healer.setWindow({ service: '*', reason: 'datacenter move' }, 'ops');
    h.set('a', false);
    h.set('b', false);
    await h.round();
    await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(await h.healer.clearWindow(w.id)).toBe(true);
    expect(await h.healer.clearWindow(w.id)).toBe(false);
    await h.round();
    await h.round();
    expect(h.runtime.restarts().sort()).toEqual(['a', 'b']);
  });

  it('a silence keeps judging the service but does not act, until it ends', async () => {
    h = harness({ policy: { failureThreshold: 1 } });
    await h.healer.setWindow({ service: 'api', kind: 'silence', duration_seconds: 5, reason: 'debugging live' }, 'carol');
    h.set('api', false);
    for (let i = 0; i < 4; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(await why()).toMatchObject({ state: 'unhealthy', consecutive_failures: 4, decision: { reason: 'silenced' } });
    expect(await skipped()).toEqual([['api', 'silenced']]);
    for (let i = 0; i < 3; i++) await h.round();
    expect(h.runtime.restarts()).toEqual(['api']);
  });

  it('refuses a window that would end before it starts, naming the field', async () => {
    h = harness();
    await expect(h.healer.setWindow({ service: 'api', ends_at: new Date(h.clock.now() - 1000).toISOString(), reason: 'x' }, 'a')).rejects.toMatchObject({
      code: 'validation_failed',
      errors: [expect.objectContaining({ field: 'ends_at' })],
    });
  });

  it('leaves a service a person stopped stopped, and says so once', async () => {
    h = harness({ policy: { failureThreshold: 1 } });
    h.runtime.stop('api');
    h.set('api', false);
    for (let i = 0; i < 5; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(await why()).toMatchObject({ state: 'stopped', decision: { reason: 'manual_stop', message: expect.stringContaining('left stopped') } });
    expect(await skipped()).toEqual([['api', 'manual_stop']]);
    // Started again by the person, it is watched and healed as before.
    h.runtime.emit({ id: 'api', action: 'start', byOperator: true });
    await h.round();
    expect(h.runtime.restarts()).toEqual(['api']);
  });

  it('does not restart a workload the runtime is restarting already, or does not know', async () => {
    h = harness({ services: ['a', 'b'], policy: { failureThreshold: 1 } });
    h.runtime.set('a', { state: 'restarting' });
    h.runtime.remove('b');
    h.set('a', false);
    h.set('b', false);
    await h.round();
    await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect((await why('a')).decision.reason).toBe('runtime_busy');
    expect((await why('b')).decision).toMatchObject({ reason: 'missing', message: expect.stringContaining('knows no workload named "b"') });
    expect(await skipped()).toEqual([['b', 'missing']]);
  });

  it('in a dry run decides and records, restarts nothing, at the pace of the backoff', async () => {
    h = harness({ policy: { failureThreshold: 1, dryRun: true, backoff: { initialMs: 3000, jitter: 0 } } });
    h.set('api', false);
    for (let i = 0; i < 5; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(await skipped()).toEqual([['api', 'dry_run'], ['api', 'dry_run']]);
    expect((await h.history.list({ limit: 5 }))[0]).toMatchObject({ attempt: 2, delay_ms: 3000, outcome: 'skipped' });
    expect((await h.healer.status()).dry_run).toBe(true);
  });

  it('operators switch dry run on and off at run time', async () => {
    h = harness({ policy: { failureThreshold: 1 } });
    await h.healer.setDryRun(true, 'dave', 'first week');
    h.set('api', false);
    await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect((await why()).decision.reason).toBe('dry_run');
    await h.healer.setDryRun(false, 'dave');
    for (let i = 0; i < 12 && h.runtime.restarts().length === 0; i++) await h.round();
    expect(h.runtime.restarts()).toEqual(['api']);
  });

  it('with no runtime, watches and records without acting', async () => {
    h = harness({ runtime: null, policy: { failureThreshold: 1 } });
    h.set('api', false);
    await h.round();
    await h.round();
    expect(await why()).toMatchObject({ state: 'unhealthy', decision: { reason: 'no_runtime' } });
    expect(await skipped()).toEqual([['api', 'no_runtime']]);
    expect((await h.healer.status()).runtime).toBe('none');
  });
});

describe('what is not a failure', () => {
  it('a draining answer is not broken: no count, no restart', async () => {
    h = harness({ policy: { failureThreshold: 1 } });
    h.set('api', 'draining');
    for (let i = 0; i < 4; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(await why()).toMatchObject({ status: 'draining', state: 'draining', consecutive_failures: 0, decision: { reason: 'draining' } });
  });

  it('failures in the start grace do not count, unless the service passed once', async () => {
    h = harness({ policy: { failureThreshold: 1, startGraceMs: 5000 } });
    h.set('api', false);
    for (let i = 0; i < 4; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(await why()).toMatchObject({ state: 'starting', decision: { reason: 'start_grace' } });
    h.set('api', true);
    await h.round();
    h.set('api', false);
    await h.round();
    expect(h.runtime.restarts()).toEqual(['api']);
  });

  it('a failing readiness check degrades the service but never restarts it', async () => {
    h = harness({
      services: [{ name: 'api', checks: [{ kind: 'custom', name: 'live', run: () => true }, { kind: 'custom', name: 'ready', role: 'readiness', run: () => ({ ok: false, error: 'warming the cache' }) }] }],
      policy: { failureThreshold: 1 },
    });
    for (let i = 0; i < 3; i++) await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect(await why()).toMatchObject({ status: 'degraded', state: 'healthy', decision: { reason: 'readiness_only', message: expect.stringContaining('warming the cache') } });
  });
});
