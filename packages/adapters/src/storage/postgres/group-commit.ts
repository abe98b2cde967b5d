// Group commit: calls that arrive while a batch is being written (or in the same tick) are written together, in
// one transaction, and each call settles only when that transaction has committed (or failed). A batch that fails
// for a reason that may be one member's is written again member by member, so only that member fails.

export interface GroupCommit<I, O> {
  /** Queues one item; resolves with its result once its batch committed. */
  push(item: I): Promise<O>;
  /** Resolves when everything queued so far has been written (or has failed). */
  drain(): Promise<void>;
}

interface Waiting<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (reason: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most items one `write` receives. */
  maxBatch: number;
  /**
   * Whether a failed batch of several is written again one item at a time (in order). Say no for failures that
   * are nobody's item's fault, such as a lost connection: every item would only fail again. Default: never.
   */
  retryAlone?: (error: unknown) => boolean;
}

/**
 * A writer that batches: `write` receives up to `maxBatch` items and returns one result per item, in order.
 * @example const appends = groupCommit((batch) => insertAll(batch), { maxBatch: 500, retryAlone: (e) => !isLost(e) })
 */
export function groupCommit<I, O>(write: (batch: I[]) => Promise<O[]>, options: GroupCommitOptions): GroupCommit<I, O> {
  const queue: Waiting<I, O>[] = [];
  let active: Promise<void> | undefined;

  const run = async () => {
    // One batch in flight at a time: whatever arrives meanwhile forms the next batch.
    while (queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      try {
        const results = await write(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i] as O));
      } catch (error) {
        if (batch.length > 1 && options.retryAlone?.(error)) await writeAlone(batch);
        else for (const w of batch) w.reject(error);
      }
    }
  };

  const writeAlone = async (batch: Waiting<I, O>[]) => {
    for (const w of batch) {
      try {
        const [result] = await write([w.item]);
        w.resolve(result as O);
      } catch (error) {
        w.reject(error);
      }
    }
  };

  const kick = () => {
    if (active) return;
    // setImmediate, not a microtask: every append issued in this tick (and its promise chains) joins the batch.
    active = new Promise<void>((resolve) => setImmediate(resolve))
      .then(run)
      .finally(() => {
        active = undefined;
        if (queue.length > 0) kick();
      });
  };

  return {
    push(item) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        kick();
      });
    },
    async drain() {
      while (active) await active;
    },
  };
}
