// The process-wide writer of SSE streams. A stream with output waiting joins one line; the line is written a slice
// of streams per turn of the event loop, so what a publish fans out to a thousand streams is written after the
// publish is answered, in pieces between which the server goes on serving, and what one stream collected while it
// waited is one write. A slice of 16 writes takes ~0.2 ms, the most a request arriving during a fan-out waits at
// each step (64 took ~0.8 ms: with 1,000 streams, publish p50 4 ms instead of 6.7 ms).
//
// Budget: a write to a socket costs ~8 µs of CPU (half of it the kernel's) and as much again to its reader, so the
// line moves at most `writesPerSecond` streams a second (a token bucket holding BURST_MS of writes). With few
// streams nothing waits; with many, each waits its turn (1,000 streams at 20,000 a second: ~50 ms a round) and
// sends in one write every event that reached it meanwhile. The writes spread evenly over time instead of
// arriving as one burst per event, which would take both CPUs of a small machine at once.
const SLICE = 16;
/** How many writes the line may send at once after a quiet spell: this many milliseconds of the budget. */
export const BURST_MS = 10;
/** Default stream writes a second across the process (about 0.16 CPU-s of writing). */
export const DEFAULT_WRITES_PER_SECOND = 20_000;

type Run = () => void;
const line = new Set<Run>();
let scheduled = false;
let timer: NodeJS.Timeout | undefined;
// Open streams by budget: the smallest budget of the open streams applies (0: no budget).
const budgets = new Map<number, number>();
let perMs = 0;
let tokens = 0;
let refilledAt = 0;

const setBudget = () => {
  let least = Number.POSITIVE_INFINITY;
  for (const budget of budgets.keys()) least = Math.min(least, budget > 0 ? budget : Number.POSITIVE_INFINITY);
  perMs = least === Number.POSITIVE_INFINITY ? 0 : least / 1000;
};

const writeSlice = () => {
  scheduled = false;
  timer = undefined;
  let allowed = SLICE;
  if (perMs > 0) {
    const now = performance.now();
    tokens = Math.min(Math.max(1, perMs * BURST_MS), tokens + (now - refilledAt) * perMs);
    refilledAt = now;
    allowed = Math.min(SLICE, Math.floor(tokens));
  }
  let n = 0;
  for (const run of line) {
    if (n >= allowed) break;
    line.delete(run);
    run();
    n++;
  }
  if (perMs > 0) tokens -= n;
  if (line.size === 0) return;
  if (perMs > 0 && tokens < 1) {
    // Out of budget: the next slice once a write's worth has come back (timers count whole milliseconds).
    timer = setTimeout(writeSlice, Math.max(1, Math.ceil((1 - tokens) / perMs)));
    timer.unref();
  } else schedule();
};
const schedule = () => {
  if (!scheduled && timer === undefined) {
    scheduled = true;
    setImmediate(writeSlice);
  }
};

/** The writer one stream uses: `due` puts it in line, `wrote` says it is writing, `done` takes it out for good. */
export function streamWriter(flush: () => void, writesPerSecond: number) {
  // In line: further output joins what waits, with no lookup (most deliveries of a fan-out).
  let queued = false;
  let ended = false;
  const run = () => {
    queued = false;
    flush();
  };
  const budget = writesPerSecond > 0 && Number.isFinite(writesPerSecond) ? writesPerSecond : 0;
  if (budgets.size === 0) refilledAt = performance.now();
  budgets.set(budget, (budgets.get(budget) ?? 0) + 1);
  setBudget();
  return {
    /** The stream has output waiting: it is written when its turn in the line comes. */
    due() {
      if (queued || ended) return;
      queued = true;
      line.add(run);
      schedule();
    },
    /** The stream is writing now, out of turn (a large burst): it leaves the line. */
    wrote() {
      if (!queued) return;
      queued = false;
      line.delete(run);
    },
    done() {
      line.delete(run);
      queued = false;
      if (ended) return;
      ended = true;
      const left = budgets.get(budget)! - 1;
      if (left === 0) budgets.delete(budget);
      else budgets.set(budget, left);
      setBudget();
    },
  };
}
