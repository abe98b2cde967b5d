/** The sends in flight to one target, and the deliveries waiting for one of them to finish. */
interface Lane {
  sending: number;
  /** When each send in flight began (performance.now()), oldest first. */
  starts: number[];
  waiting: Set<(go: boolean) => void>;
}

/**
 * Lanes per target: at most `perTarget` sends at once to one target. A delivery finding them all taken waits for
 * one (handed over directly when a send finishes), unless the target is slow (its oldest send is older than
 * `waitMs`), and never longer than `waitMs`: so a hanging target holds its own lanes and no others.
 * @example const lanes = createLanes({ perTarget: 16, waitMs: 1000 }); if (await lanes.acquire(key)) { const done = lanes.begin(key); try { … } finally { done() } }
 */
export function createLanes(options: { perTarget: number; waitMs: number }) {
  const lanes = new Map<string, Lane>();
  let closed = false;
  const release = (key: string) => {
    const lane = lanes.get(key)!;
    const next = lane.waiting.values().next().value;
    if (next) return next(true);
    if (--lane.sending === 0) lanes.delete(key);
  };
  return {
    /** True once the caller holds a lane for `key` (possibly after waiting); false: put the delivery back. */
    acquire(key: string): boolean | Promise<boolean> {
      let lane = lanes.get(key);
      if (!lane) lanes.set(key, (lane = { sending: 0, starts: [], waiting: new Set() }));
      if (lane.sending < options.perTarget) {
        lane.sending++;
        return true;
      }
      const oldest = lane.starts[0];
      if (closed || (oldest !== undefined && performance.now() - oldest > options.waitMs)) return false;
      const waiting = lane.waiting;
      return new Promise<boolean>((resolve) => {
        const handOver = (go: boolean) => {
          clearTimeout(timer);
          waiting.delete(handOver);
          resolve(go);
        };
        const timer = setTimeout(() => handOver(false), options.waitMs);
        timer.unref?.();
        waiting.add(handOver);
      });
    },
    /** Marks a held lane as sending now; the function it returns ends the send and frees the lane. */
    begin(key: string): () => void {
      const lane = lanes.get(key)!;
      const started = performance.now();
      lane.starts.push(started);
      return () => {
        lane.starts.splice(lane.starts.indexOf(started), 1);
        release(key);
      };
    },
    /** Turns every waiting delivery away, and any that comes later. */
    close() {
      closed = true;
      for (const lane of lanes.values()) for (const handOver of [...lane.waiting]) handOver(false);
    },
  };
}
