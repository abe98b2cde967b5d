/**
 * Matching events of one alert in a sliding window of `windowMs`, counted as they arrive. Times are kept sorted,
 * with times in slots of `windowMs / 1000` merged into one entry (so at most ~1000 entries per window, and a rule
 * over a busy event type costs bounded memory): an event may count up to 0.1 % of the window longer than its own
 * time says, never shorter. Windows under a second count to the millisecond.
 */
export class SlidingWindow {
  private times: number[] = [];
  private counts: number[] = [];
  private head = 0;
  private total = 0;
  private readonly merge: number;

  constructor(readonly windowMs: number) {
    this.merge = Math.floor(windowMs / 1000);
  }

  /** Counts one event at `t` (epoch ms). */
  add(t: number): void {
    // Times are rounded up to the end of their slot, so entries never drift and each slot holds one entry.
    const slot = this.merge > 0 ? (Math.floor(t / this.merge) + 1) * this.merge - 1 : t;
    this.total++;
    const last = this.times.length - 1;
    if (last >= this.head && slot === this.times[last]) {
      this.counts[last]!++;
      return;
    }
    if (last < this.head || slot > this.times[last]!) {
      this.times.push(slot);
      this.counts.push(1);
      return;
    }
    const i = this.lowerBound(slot);
    if (this.times[i] === slot) {
      this.counts[i]!++;
      return;
    }
    this.times.splice(i, 0, slot);
    this.counts.splice(i, 0, 1);
  }

  /** Events with a time after `now - windowMs`; older ones are dropped for good. */
  count(now: number): number {
    const cutoff = now - this.windowMs;
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      this.total -= this.counts[this.head]!;
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.counts = this.counts.slice(this.head);
      this.head = 0;
    }
    return this.total;
  }

  /** True when nothing is counted any more (the alert's group may be forgotten). */
  empty(): boolean {
    return this.total === 0;
  }

  private lowerBound(t: number): number {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
