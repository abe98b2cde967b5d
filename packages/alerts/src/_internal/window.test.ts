import { describe, expect, it } from 'vitest';
import { SlidingWindow } from './window.js';

describe('SlidingWindow', () => {
  it('counts events after now − window, to the millisecond for windows under a second', () => {
    const w = new SlidingWindow(500);
    for (const t of [100, 200, 200, 350]) w.add(t);
    expect(w.count(350)).toBe(4);
    expect(w.count(600)).toBe(3);
    expect(w.count(700)).toBe(1);
    expect(w.count(850)).toBe(0);
    expect(w.empty()).toBe(true);
  });

  it('counts an event for its window exactly when times fall on slot ends, and at most 0.1 % longer otherwise', () => {
    const w = new SlidingWindow(60_000);
    w.add(59);
    w.add(60_059);
    expect(w.count(60_058)).toBe(2);
    expect(w.count(60_059)).toBe(1);
    const late = new SlidingWindow(60_000);
    late.add(0);
    expect(late.count(59_999)).toBe(1);
    expect(late.count(60_058)).toBe(1);
    expect(late.count(60_059)).toBe(0);
  });

  it('keeps memory bounded by merging events of one slot, and takes events that arrive out of order', () => {
    const w = new SlidingWindow(60_000);
    for (let i = 0; i < 100_000; i++) w.add(1_000_000 + (i % 60_000));
    expect((w as unknown as { times: number[] }).times.length).toBeLessThanOrEqual(1001);
    expect(w.count(1_059_999)).toBe(100_000);
    w.add(1_010_000);
    expect(w.count(1_059_999)).toBe(100_001);
    // 1 010 000 sits in the slot ending 1 010 039: gone once now − 60 s reaches it, with everything before it.
    expect(w.count(1_070_039)).toBe(100_001 - 10_040 * 2 - 1);
    expect(w.count(1_120_018)).toBe(40);
    expect(w.count(1_120_019)).toBe(0);
  });
});
