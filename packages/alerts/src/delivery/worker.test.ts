import { describe, expect, it } from 'vitest';
import { createManualClock, memoryDeliveryStore, type DeliveryRecord } from '@aetherlink/core';
import { bookToken, createRateLimiter } from './rate-limit.js';
import { DEFAULT_RETRY_SCHEDULE_MS, nextRetryAt, parseRetrySchedule, type SendResult } from './schedule.js';
import { createDeliveryWorker, type DeliveryTarget } from './worker.js';

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
  it('dead-letters after the last attempt, on 410, and when the egress policy refused the target', () => {
    expect(nextRetryAt({ attempt: 8, maxAttempts: 8, now: 0, result: fail })).toBeNull();
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: { ok: false, status: 410, gone: true } })).toBeNull();
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: { ok: false, status: null, refused: true } })).toBeNull();
  });
  it('honours a longer Retry-After, up to a day', () => {
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: { ...fail, retryAfterMs: 60_000 }, policy: { random: () => 0.5 } })).toBe(60_000);
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: { ...fail, retryAfterMs: 1 }, policy: { random: () => 0.5 } })).toBe(5_000);
    expect(nextRetryAt({ attempt: 1, maxAttempts: 8, now: 0, result: { ...fail, retryAfterMs: 9e12 }, policy: { random: () => 0.5 } })).toBe(86_400_000);
  });
  it('reads schedules written as delays, naming a bad entry', () => {
    expect(parseRetrySchedule('5s, 5m,30m,2h, 1.5, 250ms, 1d')).toEqual([5000, 300_000, 1_800_000, 7_200_000, 1500, 250, 86_400_000]);
    expect(() => parseRetrySchedule('1s,soon')).toThrow(/"soon" is not a delay/);
    expect(() => parseRetrySchedule('8d')).toThrow(/at most 7d/);
  });
});

describe('token buckets', () => {
  it('books one slot per token: a burst goes at once, then one every interval', () => {
    let tat: number | undefined;
    const at: number[] = [];
    for (let i = 0; i < 5; i++) ({ tat, at: at[i] } = bookToken({ per_second: 2, burst: 3 }, tat, 1000) as { tat: number; at: number });
    expect(at).toEqual([1000, 1000, 1000, 1500, 2000]);
    expect(bookToken(null, undefined, 5).at).toBe(5);
  });

  it('keeps each waiting delivery its own slot, lets it through when it comes back, and pauses on request', () => {
    const limiter = createRateLimiter();
    const slack = { per_second: 1, burst: 1 };
    expect(limiter.book('ep', 'a', slack, 0)).toBe(0);
    expect(limiter.book('ep', 'b', slack, 0)).toBe(1000);
    expect(limiter.book('ep', 'c', slack, 0)).toBe(2000);
    expect(limiter.book('ep', 'b', slack, 500)).toBe(500);
    expect(limiter.book('ep', 'b', slack, 1000)).toBe(0);
    expect(limiter.book('ep', 'c', slack, 2000)).toBe(0);
    expect(limiter.book('other', 'x', slack, 2000)).toBe(0);
    // A 429 with Retry-After: nothing for the key before then, bookings made again after it.
    limiter.pause('ep', 60_000);
    expect(limiter.book('ep', 'd', slack, 3000)).toBe(57_000);
    expect(limiter.book('free', 'y', null, 3000)).toBe(0);
    limiter.pause('free', 10_000);
    expect(limiter.book('free', 'z', null, 3000)).toBe(7000);
  });
});

describe('createDeliveryWorker', () => {
  const input = { endpoint: 'https://hook', payload: { a: 1 }, max_attempts: 3 };

  it('delivers, retries on schedule and dead-letters after the last attempt', async () => {
    const clock = createManualClock(0);
    const store = memoryDeliveryStore();
    const answers: SendResult[] = [
      { ok: false, status: 500, responseBody: 'oops' },
      { ok: false, status: 502 },
      { ok: false, status: 503 },
    ];
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
    expect(await store.get(d.id)).toMatchObject({ status: 'retrying', attempts: 1, next_attempt_at: new Date(1000).toISOString() });
    expect(await worker.runOnce()).toBe(0);
    clock.set(1000);
    await worker.runOnce();
    expect(await store.get(d.id)).toMatchObject({ status: 'retrying', attempts: 2, next_attempt_at: new Date(3000).toISOString() });
    clock.set(3000);
    await worker.runOnce();
    const dead = (await store.get(d.id))!;
    expect(dead).toMatchObject({ status: 'dead_letter', attempts: 3, last_status_code: 503 });
    expect(dead.attempt_log.map((a) => [a.status_code, a.response_body])).toEqual([[500, 'oops'], [502, null], [503, null]]);
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
    expect(await store.get(d.id)).toMatchObject({ status: 'retrying', last_error: 'socket hang up' });
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

  it('sends a few at a time per target; the others wait their turn, or go back to the queue when the target is slow', async () => {
    const clock = createManualClock(0);
    const store = memoryDeliveryStore();
    for (let i = 0; i < 6; i++) await store.enqueue({ ...input, endpoint: 'https://slow/hook' }, 0);
    const fast = await store.enqueue({ ...input, endpoint: 'https://fast/hook' }, 0);
    const release: (() => void)[] = [];
    const worker = createDeliveryWorker({
      store,
      owner: 'me',
      clock,
      perTarget: 2,
      queueWaitMs: 50,
      busyRetryMs: 700,
      send: (d) => (d.endpoint.includes('slow') ? new Promise<SendResult>((r) => release.push(() => r({ ok: true, status: 200 }))) : Promise.resolve({ ok: true, status: 200 })),
    });
    expect(await worker.pump()).toBe(7);
    // The fast target's delivery is recorded while the slow one holds its two lanes; the slow target's other four
    // waited for a lane, then went back to the queue untried.
    await expect.poll(async () => (await store.get(fast.id))!.status).toBe('delivered');
    await expect.poll(async () => (await store.history({ limit: 10, status: 'pending' })).deliveries.length).toBe(4);
    expect(release).toHaveLength(2);
    const waiting = (await store.history({ limit: 10, status: 'pending' })).deliveries;
    expect(waiting.every((d) => d.attempts === 0 && d.next_attempt_at === new Date(700).toISOString())).toBe(true);
    for (const r of release) r();
    await worker.idle();
    expect((await store.stats(0)).by_status).toMatchObject({ delivered: 3, pending: 4 });
  });

  it('hands a lane straight to the next delivery of a busy but quick target, so none goes back to the queue', async () => {
    const store = memoryDeliveryStore();
    for (let i = 0; i < 12; i++) await store.enqueue(input, 0);
    let inFlight = 0;
    let max = 0;
    const worker = createDeliveryWorker({
      store,
      owner: 'me',
      perTarget: 2,
      send: async () => {
        max = Math.max(max, ++inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        return { ok: true, status: 200 };
      },
    });
    expect(await worker.runOnce()).toBe(12);
    expect(max).toBe(2);
    expect((await store.stats(0)).by_status).toMatchObject({ delivered: 12, pending: 0 });
  });

  it('spaces deliveries to a rate-limited target into booked slots, each sent when it comes back', async () => {
    const clock = createManualClock(0);
    const store = memoryDeliveryStore();
    for (let i = 0; i < 3; i++) await store.enqueue(input, 0);
    const sentAt: number[] = [];
    const worker = createDeliveryWorker({
      store,
      owner: 'me',
      clock,
      resolve: async (): Promise<DeliveryTarget> => ({ key: 'slack-ep', limit: { per_second: 1, burst: 1 }, secret: null }),
      send: async () => {
        sentAt.push(clock.now());
        return { ok: true, status: 200 };
      },
    });
    await worker.runOnce();
    expect(sentAt).toEqual([0]);
    expect((await store.history({ limit: 5, status: 'pending' })).deliveries.map((d) => d.next_attempt_at).sort()).toEqual([
      new Date(1000).toISOString(),
      new Date(2000).toISOString(),
    ]);
    clock.set(1000);
    await worker.runOnce();
    clock.set(2000);
    await worker.runOnce();
    expect(sentAt).toEqual([0, 1000, 2000]);
    expect((await store.stats(2000)).by_status.delivered).toBe(3);
  });

  it('cancels deliveries whose endpoint is gone, and tells the hook about each attempt before recording it', async () => {
    const clock = createManualClock(0);
    const store = memoryDeliveryStore();
    const kept = await store.enqueue({ ...input, endpoint_id: 'ep-ok' }, 0);
    const orphan = await store.enqueue({ ...input, endpoint_id: 'ep-removed' }, 0);
    const seen: [string, string][] = [];
    const worker = createDeliveryWorker({
      store,
      owner: 'me',
      clock,
      resolve: async (d) => (d.endpoint_id === 'ep-removed' ? { cancel: 'the endpoint was removed' } : { key: d.endpoint_id!, limit: null, secret: null }),
      send: async () => ({ ok: false, status: 410, gone: true, error: 'HTTP 410' }),
      onAttempt: (d: DeliveryRecord, _t, _r, outcome) => void seen.push([d.id, outcome.outcome]),
    });
    await worker.runOnce();
    expect(seen).toEqual([[kept.id, 'failed']]);
    expect(await store.get(kept.id)).toMatchObject({ status: 'dead_letter', attempts: 1, last_status_code: 410 });
    expect(await store.get(orphan.id)).toMatchObject({ status: 'cancelled', attempts: 0, last_error: 'the endpoint was removed' });
  });

  it('on close, lets sends finish within the grace, then cuts the rest short and puts them back untried', async () => {
    const clock = createManualClock(0);
    const store = memoryDeliveryStore();
    const d = await store.enqueue(input, 0);
    let started!: () => void;
    const begun = new Promise<void>((r) => (started = r));
    const worker = createDeliveryWorker({
      store,
      owner: 'me',
      clock,
      send: (_d, _t, signal) =>
        new Promise<SendResult>((resolve) => {
          started();
          signal.addEventListener('abort', () => resolve({ ok: false, status: null, aborted: true }));
        }),
    });
    await worker.pump();
    await begun;
    await worker.close(20);
    expect(await store.get(d.id)).toMatchObject({ status: 'pending', attempts: 0, lease_owner: null, attempt_log: [] });
    expect(await worker.pump()).toBe(0);
  });
});
