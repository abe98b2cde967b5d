import { describe, expect, it } from 'vitest';
import { sentSeqs } from './sent-seqs.js';

describe('sentSeqs', () => {
  it('takes rising seqs and refuses one sent before', () => {
    const sent = sentSeqs(10);
    expect([1, 2, 3].map((s) => sent.add(s))).toEqual([true, true, true]);
    expect(sent.add(2)).toBe(false);
    expect(sent.add(3)).toBe(false);
  });

  it('takes a late lower seq once (an event of another instance), then refuses it', () => {
    const sent = sentSeqs(10);
    sent.add(5);
    sent.add(9);
    expect(sent.add(7)).toBe(true);
    expect(sent.add(7)).toBe(false);
    expect(sent.add(5)).toBe(false);
  });

  it('remembers the last `capacity` seqs, growing past its first allocation, and forgets older ones', () => {
    const sent = sentSeqs(200);
    for (let s = 1; s <= 300; s++) expect(sent.add(s)).toBe(true);
    // 101..300 are remembered; 1..100 were pushed out of the memory.
    expect(sent.add(101)).toBe(false);
    expect(sent.add(300)).toBe(false);
    expect(sent.add(100)).toBe(true);
    // 100 took the place of the oldest, 101.
    expect(sent.add(101)).toBe(true);
  });

  it('keeps its answers for seqs arriving out of order across the ring wrapping', () => {
    const sent = sentSeqs(4);
    for (const s of [10, 8, 12, 9]) expect(sent.add(s)).toBe(true);
    expect(sent.add(8)).toBe(false);
    sent.add(13); // pushes out 10
    expect(sent.add(10)).toBe(true);
    expect(sent.add(12)).toBe(false);
  });
});
