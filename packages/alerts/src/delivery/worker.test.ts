import { describe, expect, it } from 'vitest';
import { createManualClock, memoryDeliveryStore } from '@aetherlink/core';
import { DEFAULT_RETRY_SCHEDULE_MS, nextRetryAt, type SendResult } from './schedule.js';
import { createDeliveryWorker } from './worker.js';

describe('nextRetryAt', () => {
  const fail: SendResult = { ok: false, status: 503 };
  it('follows the schedule, with jitter inside ±20 %', () => {
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: fail, policy: { random: () => 0.5 } })).toBe(5_000);
    expect(nextRetryAt({ attempt: 2, maxAttempts: 8, now: 0, result: fail, policy: { random: () => 0.5 } })).toBe(300_000);
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: fail, policy: { random: () => 0 } })).toBe(4_000);
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: fail, policy: { random: () => 1 } })).toBe(6_000);
    expect(nextRetryAt({ attempt: 7, maxAttempts: 9, now: 0, result: fail, policy: { random: () => 0.5 } })).toBe(36_000_000);
    expect(nextRetryAt({ attempt: 8, maxAttempts: 9, now: 0, result: fail, policy: { random: () => 0.5 } })).toBe(36_000_000);
    expect(DEFAULT_RETRY_SCHEDULE_MS).toHaveLength(7);
  });
  it('dead-letters after the last attempt or on 410', () => {
    expect(nextRetryAt({ attempt: 8, maxAttempts: 8, now: 0, result: fail })).toBeNull();
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: { ok: false, status: 410, gone: true } })).toBeNull();
  });
  it('honours a longer Retry-After', () => {
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: { ...fail, retryAfterMs: 60_000 }, policy: { random: () => 0.5 } })).toBe(60_000);
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: { ...fail, retryAfterMs: 1 }, policy: { random: () => 0.5 } })).toBe(5_000);
  });
});

describe('createDeliveryWorker', () => {
  const input = { endpoint: 'https://hook', payload: { a: 1 }, max_attempts: 3 };

  it('delivers, retries on schedule and dead-letters after the last attempt', async () => {
    const clock = createManualClock(0);
    const store = memoryDeliveryStore();
    const answers: SendResult[] = [{ ok: false, status: 500 }, { ok: false, status: 502 }, { ok: false, status: 503 }];
    const sent: string[] = [];
    const worker = createDeliveryWorker({
      store,
      owner: 'me',
      clock,
      retry: { scheduleMs: [1000, 2000], jitter: 0 },
      send: async (d) => {
        sent.push(d.id);
        return answers.shift()!;
      },
    });
    const d = await store.enqueue(input, clock.now());
    expect(await worker.runOnce()).toBe(1);
    expect(await store.get(d.id)).toMatchObject({ status: 'failed', attempts: 1, next_attempt_at: new Date(1000).toISOString() });
    expect(await worker.runOnce()).toBe(0);
    clock.set(1000);
    await worker.runOnce();
    expect(await store.get(d.id)).toMatchObject({ status: 'failed', attempts: 2, next_attempt_at: new Date(3000).toISOString() });
    clock.set(3000);
    await worker.runOnce();
    const dead = (await store.get(d.id))!;
    expect(dead).toMatchObject({ status: 'dead_letter', attempts: 3, last_status_code: 503 });
    expect(dead.attempt_log.map((a) => a.status_code)).toEqual([500, 502, 503]);
    expect(sent).toHaveLength(3);
  });

  it('completes a successful send and records a thrown error as a failed attempt', async () => {
    const clock = createManualClock(0);
    const store = memoryDeliveryStore();
    let calls = 0;
    const worker = createDeliveryWorker({
      store,
      owner: 'me',
      clock,
      retry: { scheduleMs: [10], jitter: 0 },
      send: async () => {
        if (calls++ === 0) throw new Error('socket hang up');
        return { ok: true, status: 204 };
      },
    });
    const d = await store.enqueue(input, 0);
    await worker.runOnce();
    expect(await store.get(d.id)).toMatchObject({ status: 'failed', last_error: 'socket hang up' });
    clock.set(10);
    await worker.runOnce();
    expect(await store.get(d.id)).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204 });
  });

  it('keeps at most `concurrency` sends in flight', async () => {
    const store = memoryDeliveryStore();
    for (let i = 0; i < 10; i++) await store.enqueue(input, 0);
    let inFlight = 0;
    let max = 0;
    const worker = createDeliveryWorker({
      store,
      owner: 'me',
      concurrency: 3,
      send: async () => {
        max = Math.max(max, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { ok: true, status: 200 };
      },
    });
    expect(await worker.runOnce()).toBe(10);
    expect(max).toBe(3);
    expect((await store.stats(Date.now())).by_status.delivered).toBe(10);
  });
});
