import { describe, expect, it } from 'vitest';
import { deferredFanout } from './deferred-fanout.js';

const turn = () => new Promise((r) => setImmediate(r));

describe('deferredFanout', () => {
  it('reaches a slice of listeners per turn, each getting every event in order', async () => {
    const fanout = deferredFanout<number>(2);
    const got: number[][] = Array.from({ length: 5 }, () => []);
    got.forEach((list) => fanout.add((n) => list.push(n)));
    fanout.push(1);
    fanout.push(2);
    expect(got.flat()).toEqual([]);
    await turn();
    // The first slice: two listeners, both events each.
    expect(got.map((l) => l.length)).toEqual([2, 2, 0, 0, 0]);
    // Pushed during the fan-out: a later batch, after the first reached everyone.
    fanout.push(3);
    await turn();
    expect(got.map((l) => l.length)).toEqual([2, 2, 2, 2, 0]);
    for (let i = 0; i < 4; i++) await turn();
    expect(got).toEqual(Array.from({ length: 5 }, () => [1, 2, 3]));
  });

  it('gives nothing more to a listener removed mid-way, and only later events to one added mid-way', async () => {
    const fanout = deferredFanout<number>(1);
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    fanout.add((n) => a.push(n));
    const offB = fanout.add((n) => b.push(n));
    fanout.push(1);
    await turn();
    expect(a).toEqual([1]);
    offB();
    fanout.add((n) => c.push(n));
    expect(fanout.size).toBe(2);
    fanout.push(2);
    for (let i = 0; i < 5; i++) await turn();
    expect(a).toEqual([1, 2]);
    expect(b).toEqual([]);
    expect(c).toEqual([2]);
  });

  it('keeps no events while nobody listens', async () => {
    const fanout = deferredFanout<number>();
    fanout.push(1);
    const got: number[] = [];
    fanout.add((n) => got.push(n));
    fanout.push(2);
    await turn();
    expect(got).toEqual([2]);
  });
});
