import { AetherError } from '@aetherlink/core';
import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.js';

/** A writer over numbers that fails any batch holding a negative one, with the given error. */
const failingOnNegatives = (error: () => unknown) => {
  const calls: number[][] = [];
  const write = async (batch: number[]) => {
    calls.push(batch);
    if (batch.some((n) => n < 0)) throw error();
    return batch.map((n) => n * 10);
  };
  return { calls, write };
};

const outcomes = (promises: Promise<number>[]) =>
  Promise.allSettled(promises).then((all) => all.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected')));

describe('groupCommit', () => {
  it('writes the members of a failed batch alone, in order, when the failure may be one member\'s', async () => {
    const { calls, write } = failingOnNegatives(() => new AetherError('validation_failed', 'refused'));
    const writer = groupCommit(write, { maxBatch: 100, retryAlone: () => true });
    const got = await outcomes([1, 2, -3, 4].map((n) => writer.push(n)));
    expect(got).toEqual([10, 20, 'rejected', 40]);
    expect(calls).toEqual([[1, 2, -3, 4], [1], [2], [-3], [4]]);
  });

  it('fails the whole batch at once when the failure is nobody\'s member (or retryAlone is not given)', async () => {
    const lost = failingOnNegatives(() => new AetherError('unavailable', 'the database is unreachable'));
    const writer = groupCommit(lost.write, { maxBatch: 100, retryAlone: (e) => !(e instanceof AetherError && e.code === 'unavailable') });
    expect(await outcomes([1, -2, 3].map((n) => writer.push(n)))).toEqual(['rejected', 'rejected', 'rejected']);
    expect(lost.calls).toEqual([[1, -2, 3]]);

    const plain = failingOnNegatives(() => new Error('boom'));
    const noRetry = groupCommit(plain.write, { maxBatch: 100 });
    expect(await outcomes([1, -2].map((n) => noRetry.push(n)))).toEqual(['rejected', 'rejected']);
    expect(plain.calls).toEqual([[1, -2]]);
  });
});
