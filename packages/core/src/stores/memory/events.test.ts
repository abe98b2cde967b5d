import { describe, expect, it } from 'vitest';
import { makeEvent } from '@aetherlink/core/testing';
import { memoryEventStore } from './events.js';

describe('memoryEventStore', () => {
  it('keeps only the newest maxEvents', async () => {
    const store = memoryEventStore({ maxEvents: 10 });
    for (let i = 0; i < 25; i++) await store.append(makeEvent({ data: { i } }), '2026-01-01T00:00:00.000Z');
    const all = await store.query({ limit: 100 });
    expect(all).toHaveLength(10);
    expect(all.map((e) => (e.data as { i: number }).i)).toEqual([24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
    expect((await store.stats(Date.now())).total).toBe(10);
  });

  it('hands out copies, so callers cannot change what is stored', async () => {
    const store = memoryEventStore();
    const { event } = await store.append(makeEvent({ data: { v: 1 } }), '2026-01-01T00:00:00.000Z');
    (event.data as { v: number }).v = 99;
    const [got] = await store.query({ limit: 1 });
    (got!.data as { v: number }).v = 98;
    expect((await store.query({ limit: 1 }))[0]!.data).toEqual({ v: 1 });
  });
});
