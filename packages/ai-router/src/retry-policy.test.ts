import { describe, expect, it } from 'vitest';
import { backoff, decideRetry, type RetryInput } from './retry-policy.js';

const base: RetryInput = {
  kind: 'overloaded',
  retryable: true,
  tries: 1,
  retries: 2,
  timeLeftMs: 10_000,
  spareAttempts: 5,
  retryDelayMs: 200,
  maxRetryDelayMs: 5_000,
  quotaCooldownMs: 3_600_000,
  maxCooldownMs: 300_000,
  random: 0.5,
};

describe('decideRetry', () => {
  it('backs off exponentially with jitter for retryable failures', () => {
    expect(decideRetry(base)).toEqual({ retry: true, delayMs: 150 });
    expect(decideRetry({ ...base, tries: 2 })).toEqual({ retry: true, delayMs: 300 });
  });

  it('waits as long as retry-after says when it fits', () => {
    expect(decideRetry({ ...base, kind: 'rate_limited', retryAfterMs: 1200 })).toEqual({ retry: true, delayMs: 1200 });
  });

  it('fails over at once, cooling the provider down, when retry-after is longer than the time left', () => {
    expect(decideRetry({ ...base, kind: 'rate_limited', retryAfterMs: 4000, timeLeftMs: 3000 })).toEqual({ retry: false, reason: 'wait_too_long', cooldownMs: 4000 });
  });

  it('fails over when retry-after is longer than the longest wait it accepts', () => {
    expect(decideRetry({ ...base, kind: 'rate_limited', retryAfterMs: 60_000, timeLeftMs: 120_000 })).toEqual({ retry: false, reason: 'wait_too_long', cooldownMs: 60_000 });
    expect(decideRetry({ ...base, kind: 'rate_limited', retryAfterMs: 3_600_000 })).toEqual({ retry: false, reason: 'wait_too_long', cooldownMs: 300_000 });
  });

  it('never retries a request the provider rejected, nor used-up quota, which cools down for long', () => {
    expect(decideRetry({ ...base, kind: 'bad_request', retryable: false })).toEqual({ retry: false, reason: 'not_retryable' });
    expect(decideRetry({ ...base, kind: 'quota_exhausted', retryable: false })).toEqual({ retry: false, reason: 'not_retryable', cooldownMs: 3_600_000 });
  });

  it('stops when this provider has no retries left or the call no spare attempts', () => {
    expect(decideRetry({ ...base, tries: 3 })).toEqual({ retry: false, reason: 'no_retries_left' });
    expect(decideRetry({ ...base, spareAttempts: 0 })).toEqual({ retry: false, reason: 'attempt_budget' });
  });

  it('does not sleep past the deadline', () => {
    expect(decideRetry({ ...base, timeLeftMs: 100 })).toEqual({ retry: false, reason: 'wait_too_long' });
  });
});

describe('backoff', () => {
  it('is capped', () => {
    expect(backoff(10, 200, 5000, 0.999)).toBeLessThanOrEqual(5000);
    expect(backoff(1, 200, 5000, 0)).toBe(100);
  });
});
