/**
 * The seqs a stream sent most recently, to drop an event it already sent (replay meeting live delivery, or an
 * event of another instance arriving again). Events mostly come in rising seq order, so a seq above every one
 * sent is new without a lookup; only a seq at or below the highest is searched for among the last `capacity`
 * sent. The memory grows with what was sent, up to `capacity`, in a typed array the garbage collector never scans.
 */
export interface SentSeqs {
  /** Records `seq` as sent and returns true, or returns false when it is among the last `capacity` sent. */
  add(seq: number): boolean;
}

/**
 * @example const sent = sentSeqs(10_000); if (sent.add(event.seq)) channel.send(message)
 */
export function sentSeqs(capacity: number): SentSeqs {
  let ring = new Float64Array(Math.min(capacity, 64));
  let size = 0;
  let head = 0;
  let highest = Number.NEGATIVE_INFINITY;
  const record = (seq: number) => {
    if (size < capacity && size === ring.length) {
      const grown = new Float64Array(Math.min(capacity, ring.length * 2));
      grown.set(ring);
      ring = grown;
    }
    ring[head] = seq;
    head = (head + 1) % capacity;
    if (size < capacity) size++;
  };
  return {
    add(seq) {
      if (seq > highest) {
        highest = seq;
        record(seq);
        return true;
      }
      for (let i = 0; i < size; i++) if (ring[i] === seq) return false;
      record(seq);
      return true;
    },
  };
}
