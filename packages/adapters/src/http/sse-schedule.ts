// The process-wide writer of SSE streams. A stream with output waiting hands its flush here; flushes run a slice
// of streams per turn of the event loop, so what a publish fans out to a thousand streams is written after the
// publish is answered, in pieces between which the server goes on serving, and what one stream collected in a
// turn is one write. A slice of 16 writes takes ~0.2 ms, the most a request arriving during a fan-out waits at each
// step (64 took ~0.8 ms: with 1,000 streams, publish p50 4 ms instead of 6.7 ms).
//
// Pacing: a write to a socket costs ~8 µs of CPU (half of it the kernel's) and as much again to the reader, so
// the process keeps its stream writes under a budget a second. Each stream waits at least
// open streams ÷ budget between two writes (at most MAX_DELAY_MS) and what arrives meanwhile goes out in one
// write. The first write after a quiet spell is never delayed: with few streams or few events nothing waits.
const SLICE = 16;
/** The longest a stream's output is held to be written with what follows it. */
export const MAX_DELAY_MS = 100;
/** Default stream writes a second across the process (about 0.16 CPU-s of writing). */
export const DEFAULT_WRITES_PER_SECOND = 20_000;

type Flush = () => void;
const waiting = new Set<Flush>();
const paced = new Map<Flush, number>();
let scheduled = false;
let pacer: NodeJS.Timeout | undefined;
let pacerAt = Number.POSITIVE_INFINITY;
let open = 0;

const writeSlice = () => {
  scheduled = false;
  let n = 0;
  for (const flush of waiting) {
    waiting.delete(flush);
    flush();
    if (++n >= SLICE) break;
  }
  if (waiting.size > 0) schedule();
};
const schedule = () => {
  if (!scheduled) {
    scheduled = true;
    setImmediate(writeSlice);
  }
};

const release = () => {
  pacer = undefined;
  pacerAt = Number.POSITIVE_INFINITY;
  // Within a millisecond of due is due: the timer's own resolution.
  const now = performance.now() + 1;
  let next = Number.POSITIVE_INFINITY;
  for (const [flush, due] of paced) {
    if (due <= now) {
      paced.delete(flush);
      waiting.add(flush);
    } else if (due < next) next = due;
  }
  if (waiting.size > 0) schedule();
  if (next !== Number.POSITIVE_INFINITY) arm(next);
};
const arm = (due: number) => {
  if (pacer !== undefined && pacerAt <= due) return;
  if (pacer !== undefined) clearTimeout(pacer);
  pacerAt = due;
  pacer = setTimeout(release, Math.max(0, due - performance.now()));
  // Open streams keep the process alive, not output held for them.
  pacer.unref();
};

/** The least time between two writes to one stream now, ms: open streams ÷ budget, at most MAX_DELAY_MS. */
export function writeGap(writesPerSecond: number): number {
  if (!(writesPerSecond > 0) || writesPerSecond === Number.POSITIVE_INFINITY) return 0;
  return Math.min(MAX_DELAY_MS, (open * 1000) / writesPerSecond);
}

/** The writer one stream uses: `due` asks for a flush, `done` drops it when the stream ends. */
export function streamWriter(flush: Flush, writesPerSecond: number) {
  let lastWrite = Number.NEGATIVE_INFINITY;
  open++;
  let ended = false;
  return {
    /** The stream has output waiting: flush it in a coming turn, or once its gap since the last write has passed. */
    due() {
      if (waiting.has(flush) || paced.has(flush)) return;
      const at = lastWrite + writeGap(writesPerSecond);
      if (at > performance.now()) {
        paced.set(flush, at);
        arm(at);
      } else {
        waiting.add(flush);
        schedule();
      }
    },
    /** The stream is writing now (its gap counts from here). */
    wrote() {
      lastWrite = performance.now();
    },
    done() {
      waiting.delete(flush);
      paced.delete(flush);
      if (!ended) {
        ended = true;
        open--;
      }
    },
  };
}
