import { expect, it } from 'vitest';
import { isAetherError } from '../errors.js';
import { isVersionConflict } from '../stores/documents.js';
import type { CollectionSpec, DocumentStore } from '../stores/types.js';

const counters: CollectionSpec = { name: 'counters', unique: ['claim'] };

// Writers race through both handles of the store (the peer is another pool or connection where the backend has
// one), so a lost update or a double create shows up as a wrong count, never as a timing.

/** The races of the DocumentStore contract; called inside its describe block. */
export function describeDocumentRaces(s: { get(): DocumentStore; peer(): DocumentStore }): void {
  const handle = (i: number) => (i % 2 === 0 ? s.get() : s.peer());
  const outcomes = async (writes: Promise<unknown>[]) => {
    const settled = await Promise.allSettled(writes);
    const refused = settled.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as unknown);
    for (const reason of refused) if (!isAetherError(reason) || reason.code !== 'conflict') throw reason;
    return { won: settled.length - refused.length, refused };
  };

  it('lets exactly one of many racing create-only writes of one id win', async () => {
    const { won, refused } = await outcomes(
      Array.from({ length: 12 }, (_, i) => handle(i).put(counters, { id: 'once', data: { by: i } }, { ifVersion: 0 })),
    );
    expect(won).toBe(1);
    expect(refused.every(isVersionConflict)).toBe(true);
    const stored = await s.peer().get(counters, 'once');
    expect((await s.get().list(counters)).map((d) => d.id)).toEqual(['once']);
    expect(stored).toEqual(await s.get().get(counters, 'once'));
  });

  it('lets exactly one of many racing documents take one unique value', async () => {
    const { won } = await outcomes(Array.from({ length: 12 }, (_, i) => handle(i).put(counters, { id: `c${i}`, data: { claim: 'the-one' } })));
    expect(won).toBe(1);
    expect(await s.peer().list(counters, { where: { claim: 'the-one' } })).toHaveLength(1);
    expect(await s.get().list(counters)).toHaveLength(1);
  });

  it('loses no update when many writers increment one counter by compare-and-set, retrying on conflict', async () => {
    const start = await s.get().put(counters, { id: 'n', data: { n: 0 } }, { ifVersion: 0 });
    const writers = 8;
    const each = 5;
    let conflicts = 0;
    const versions: number[] = [];
    const increment = async (store: DocumentStore) => {
      for (let attempt = 0; attempt < 1000; attempt++) {
        const current = (await store.get(counters, 'n'))!;
        try {
          const next = await store.put(counters, { id: 'n', data: { n: (current.data.n as number) + 1 } }, { ifVersion: current.version });
          versions.push(next.version);
          return;
        } catch (error) {
          if (!isVersionConflict(error)) throw error;
          conflicts++;
        }
      }
      throw new Error('an increment never got through');
    };
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let k = 0; k < each; k++) await increment(handle(w));
    }));
    const final = (await s.peer().get(counters, 'n'))!;
    expect(versions).toHaveLength(writers * each);
    expect(final.data.n).toBe(writers * each);
    expect(new Set(versions).size).toBe(writers * each);
    expect(Math.min(...versions)).toBeGreaterThan(start.version);
    expect(final.version).toBe(Math.max(...versions));
    // The writers did collide: every refused write is accounted for and was retried.
    expect(conflicts).toBeGreaterThan(0);
  });
}
