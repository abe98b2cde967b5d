/** A token bucket's settings: `per_second` tokens refill it, and it holds at most `burst`. */
export interface RateLimit {
  per_second: number;
  burst: number;
}

/** Slack's incoming webhooks allow about one message per second per channel. */
export const SLACK_RATE_LIMIT: RateLimit = { per_second: 1, burst: 1 };

/** The rate each channel gets when its endpoint sets none (absent: unlimited). */
export const CHANNEL_RATE_LIMITS: Readonly<Record<string, RateLimit>> = {
  slack: SLACK_RATE_LIMIT,
  // Discord allows about 5 requests per 2 s per webhook; Teams a few per second.
  discord: { per_second: 2, burst: 5 },
  teams: { per_second: 4, burst: 4 },
};

const burstTolerance = (limit: RateLimit | null) => (limit ? ((Math.max(1, limit.burst) - 1) * 1000) / limit.per_second : 0);

/**
 * The token bucket in its virtual-scheduling form (GCRA): `tat` is when the bucket would be full again. Asking at
 * `now` books the next token: the send may go at the returned `at` (at once when `at <= now`), and the booking
 * moves `tat` on, so deliveries told to wait are each given their own later slot instead of all coming back at
 * once. Pure.
 * @example const { tat, at } = bookToken({ per_second: 1, burst: 1 }, previousTat, clock.now())
 */
export function bookToken(limit: RateLimit | null, tat: number | undefined, now: number): { tat: number; at: number } {
  const interval = limit ? 1000 / limit.per_second : 0;
  const tolerance = burstTolerance(limit);
  const t = Math.max(tat ?? now, now);
  return { tat: t + interval, at: Math.max(now, t - tolerance) };
}

/**
 * Token buckets by key (one per endpoint) on one instance, with bookings by delivery: a delivery told to wait
 * keeps its slot, and is let through when it comes back at or after it. Each instance keeps its own buckets, so
 * with N instances an endpoint may see up to N times its limit; a 429's Retry-After pauses the bucket on the
 * instance that got it.
 * @example const limiter = createRateLimiter(); const waitMs = limiter.book('ep-1', delivery.id, SLACK_RATE_LIMIT, now)
 */
export function createRateLimiter() {
  const tats = new Map<string, number>();
  const limits = new Map<string, RateLimit | null>();
  const booked = new Map<string, { key: string; at: number }>();
  let sweptAt = 0;
  const sweep = (now: number) => {
    // Bookings nobody came back for (another instance took the delivery) are dropped after ten minutes.
    if (now - sweptAt < 60_000) return;
    sweptAt = now;
    for (const [id, b] of booked) if (b.at < now - 600_000) booked.delete(id);
  };
  return {
    /** 0 when `id` may be sent now; otherwise ms until its booked slot. */
    book(key: string, id: string, limit: RateLimit | null, now: number): number {
      sweep(now);
      const held = booked.get(id);
      if (held && held.key === key) {
        if (now < held.at) return held.at - now;
        booked.delete(id);
        return 0;
      }
      limits.set(key, limit);
      const next = bookToken(limit, tats.get(key), now);
      tats.set(key, next.tat);
      if (next.at <= now) return 0;
      booked.set(id, { key, at: next.at });
      return next.at - now;
    },
    /** No sends for `key` before `until` (a receiver asked us to wait); its bookings are made again after it. */
    pause(key: string, until: number) {
      tats.set(key, Math.max(tats.get(key) ?? 0, until + burstTolerance(limits.get(key) ?? null)));
      for (const [id, b] of booked) if (b.key === key) booked.delete(id);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
