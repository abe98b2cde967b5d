import { createManualClock } from '@aetherlink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createBreaker, type ProviderBreaker } from './breaker.js';
import { isProviderError, ProviderError } from './errors.js';

const settings = { errorThresholdPercentage: 50, volumeThreshold: 5, rollingWindowMs: 10_000, rollingBuckets: 10, resetTimeoutMs: 30_000 };
const failure = () => new ProviderError('server_error', '500');
const counts = (e: unknown) => !(isProviderError(e) && !e.countsAsFailure);
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

let made: ProviderBreaker[] = [];
afterEach(() => {
  for (const b of made) b.shutdown();
  made = [];
});

function setup(overrides: Partial<typeof settings> = {}) {
  const clock = createManualClock();
  const breaker = createBreaker({ name: 'p', clock, settings: { ...settings, ...overrides }, isFailure: counts });
  made.push(breaker);
  const fail = () => breaker.fire(() => Promise.reject(failure())).catch((e: unknown) => e);
  const ok = () => breaker.fire(() => Promise.resolve('ok'));
  return { clock, breaker, fail, ok };
}

describe('createBreaker', () => {
  it('stays closed until the window holds the volume threshold, then opens on the error rate', async () => {
    const { breaker, fail } = setup();
    await fail();
    expect(breaker.state()).toBe('closed');
    for (let i = 0; i < 3; i++) await fail();
    expect(breaker.state()).toBe('closed');
    await fail();
    expect(breaker.state()).toBe('open');
    const rejected = await breaker.fire(() => Promise.resolve('never')).catch((e: unknown) => e);
    expect(rejected).toMatchObject({ kind: 'breaker_open', countsAsFailure: false });
  });

  it('does not open while the error rate stays under the threshold', async () => {
    const { breaker, fail, ok } = setup();
    for (let i = 0; i < 6; i++) await ok();
    for (let i = 0; i < 6; i++) await fail();
    expect(breaker.state()).toBe('closed');
    await fail();
    expect(breaker.state()).toBe('open');
  });

  it('forgets failures that rolled out of the window (rotated by the clock, no interval timers)', async () => {
    const { clock, breaker, fail } = setup();
    for (let i = 0; i < 4; i++) await fail();
    clock.advance(10_001);
    await fail();
    expect(breaker.state()).toBe('closed');
    for (let i = 0; i < 3; i++) await fail();
    expect(breaker.state()).toBe('closed');
    await fail();
    expect(breaker.state()).toBe('open');
  });

  it('turns half-open when the clock passes the reset time, not before', async () => {
    const { clock, breaker, fail } = setup();
    for (let i = 0; i < 5; i++) await fail();
    const opened = clock.now();
    expect(breaker.reopensAt()).toBe(opened + 30_000);
    clock.advance(29_999);
    expect(breaker.state()).toBe('open');
    clock.advance(1);
    expect(breaker.state()).toBe('half_open');
    expect(breaker.reopensAt()).toBeNull();
  });

  it('lets exactly one trial through while half-open; concurrent callers are turned away at once', async () => {
    const { clock, breaker, fail } = setup();
    for (let i = 0; i < 5; i++) await fail();
    clock.advance(30_000);
    let release!: (v: string) => void;
    let calls = 0;
    const trial = breaker.fire(() => {
      calls++;
      return new Promise<string>((r) => (release = r));
    });
    const others = await Promise.all(
      Array.from({ length: 20 }, () =>
        breaker
          .fire(() => {
            calls++;
            return Promise.resolve('x');
          })
          .catch((e: unknown) => e),
      ),
    );
    expect(calls).toBe(1);
    expect(others.every((e) => isProviderError(e) && e.kind === 'breaker_open')).toBe(true);
    expect(breaker.state()).toBe('half_open');
    release('ok');
    await expect(trial).resolves.toBe('ok');
    expect(breaker.state()).toBe('closed');
  });

  it('closes after a successful trial with a fresh window, and reopens after a failed one', async () => {
    const { clock, breaker, fail, ok } = setup();
    for (let i = 0; i < 5; i++) await fail();
    clock.advance(30_000);
    await ok();
    expect(breaker.state()).toBe('closed');
    await fail();
    expect(breaker.state()).toBe('closed');
    for (let i = 0; i < 4; i++) await fail();
    expect(breaker.state()).toBe('open');
    clock.advance(30_000);
    expect(breaker.state()).toBe('half_open');
    await fail();
    expect(breaker.state()).toBe('open');
    expect(breaker.reopensAt()).toBe(clock.now() + 30_000);
  });

  it('starts a fresh window on closing, even when the reset time is shorter than the window', async () => {
    const { clock, breaker, fail, ok } = setup({ resetTimeoutMs: 2_000 });
    for (let i = 0; i < 5; i++) await fail();
    clock.advance(2_000);
    await ok();
    expect(breaker.state()).toBe('closed');
    await fail();
    expect(breaker.state()).toBe('closed');
  });

  it('does not count failures that say nothing about the provider', async () => {
    const { breaker } = setup();
    for (let i = 0; i < 10; i++) await breaker.fire(() => Promise.reject(new ProviderError('bad_request', '400'))).catch(() => undefined);
    expect(breaker.state()).toBe('closed');
  });

  it('gives the trial to the next caller when the trial was cancelled', async () => {
    const { clock, breaker, fail, ok } = setup();
    for (let i = 0; i < 5; i++) await fail();
    clock.advance(30_000);
    await breaker.fire(() => Promise.reject(new ProviderError('cancelled', 'caller went away'))).catch(() => undefined);
    expect(breaker.state()).toBe('half_open');
    await ok();
    expect(breaker.state()).toBe('closed');
  });

  it('cools down for exactly the time asked, shorter or longer than the reset timeout', async () => {
    const { clock, breaker } = setup();
    breaker.coolDown(2_000);
    expect(breaker.state()).toBe('open');
    expect(breaker.reopensAt()).toBe(clock.now() + 2_000);
    clock.advance(2_000);
    expect(breaker.state()).toBe('half_open');
    breaker.coolDown(3_600_000);
    expect(breaker.state()).toBe('open');
    breaker.coolDown(1_000);
    expect(breaker.reopensAt()).toBe(clock.now() + 3_600_000);
  });

  it('counts a failure recorded after the fact (a stream that broke mid-way)', async () => {
    const { breaker, fail } = setup();
    for (let i = 0; i < 4; i++) await fail();
    breaker.recordFailure(failure());
    await new Promise((r) => setImmediate(r));
    expect(breaker.state()).toBe('open');
  });

  it('leaves no timers behind: none while closed, and none after reopen cycles and shutdown', async () => {
    const before = timers();
    const many = Array.from({ length: 50 }, () => setup());
    expect(timers()).toBe(before);
    const { clock, breaker, fail, ok } = many[0]!;
    for (let i = 0; i < 5; i++) await fail();
    clock.advance(30_000);
    breaker.state();
    await ok();
    expect(breaker.state()).toBe('closed');
    for (const m of many) m.breaker.shutdown();
    expect(timers()).toBe(before);
  });
});
