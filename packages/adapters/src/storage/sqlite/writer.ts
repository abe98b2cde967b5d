import { Worker } from 'node:worker_threads';
import { AetherError, type CheckedPurge } from '@aetherlink/core';
import type { EventOutcome, EventWire } from './event-writes.js';
import type { EventWriter } from './events.js';
import { fromWire, unpackOutcomes, type OpenRequest, type PackedOutcomes, type Reply, type Request, type WriteStore } from './writer-protocol.js';

/** The write side of one SQLite file, in the process's writer thread. */
export interface SqliteWriter {
  /** Runs a write method of one store on the write connection; resolves after its commit. */
  call(store: WriteStore, method: string, args: unknown[]): Promise<unknown>;
  /** The event store's group commit and retention. */
  readonly events: EventWriter;
  /** Runs a pragma on the write connection (e.g. `max_page_count`, `wal_checkpoint(TRUNCATE)`). */
  pragma(source: string): Promise<unknown>;
  /** Resolves once the writer thread has the file open (writes made before then wait for it). */
  opened(): Promise<void>;
  /** Commits what waits, then closes the write connection. */
  close(): Promise<void>;
}

interface Thread {
  worker: Worker;
  pending: Map<number, { resolve: (reply: Reply & { ok: true }) => void; reject: (error: unknown) => void }>;
  next: number;
  dead?: Error;
}

let shared: Thread | undefined;

// From source (tests, tsx) the thread loads the TypeScript file through tsx; built, the bundled entry beside this one.
function script(): { url: URL; execArgv?: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { url: new URL('./writer-thread.ts', here), execArgv: ['--import', 'tsx', '--conditions=@aetherlink/source'] };
  return { url: new URL(here.endsWith('.cjs') ? './sqlite-writer.cjs' : './sqlite-writer.js', here) };
}

// Appends one turn produces are handed to the thread in slices of this many, so that the thread commits the first
// slice while this one checks and serializes the rest (bench, 256 appends in flight: 0.42–0.48 → 0.565 of a bare
// INSERT loop).
const HAND_OVER_AT = 128;

const stopped = (why: string) => new AetherError('unavailable', `the SQLite writer thread stopped (${why}); the write was not made`);

/** One writer thread per process, started on first use; it holds the process open only while writes are pending. */
function thread(): Thread {
  if (shared && !shared.dead) return shared;
  const { url, execArgv } = script();
  const worker = new Worker(url, { ...(execArgv ? { execArgv } : {}), stdout: false, stderr: false });
  const t: Thread = { worker, pending: new Map(), next: 0 };
  worker.unref();
  const die = (error: Error) => {
    if (t.dead) return;
    t.dead = error;
    if (shared === t) shared = undefined;
    for (const p of t.pending.values()) p.reject(stopped(error.message));
    t.pending.clear();
  };
  worker.on('message', (reply: Reply) => {
    const p = t.pending.get(reply.id);
    if (!p) return;
    t.pending.delete(reply.id);
    if (t.pending.size === 0) worker.unref();
    if (reply.ok) p.resolve(reply);
    else p.reject(fromWire(reply.error));
  });
  worker.on('error', die);
  worker.on('exit', (code) => die(new Error(`exit code ${code}`)));
  shared = t;
  return t;
}

function send(t: Thread, request: Request): Promise<Reply & { ok: true }> {
  if (t.dead) return Promise.reject(stopped(t.dead.message));
  const id = ++t.next;
  return new Promise((resolve, reject) => {
    try {
      t.worker.postMessage({ ...request, id });
    } catch (error) {
      // Something in the arguments cannot cross to another thread (a function, a symbol): no store could keep it.
      reject(new AetherError('validation_failed', `the value cannot be stored: ${(error as Error).message}`, { errors: [{ field: 'value', message: 'must be plain JSON data' }] }));
      return;
    }
    if (t.pending.size === 0) t.worker.ref();
    t.pending.set(id, { resolve, reject });
  });
}

/**
 * Opens the write side of a SQLite file in the process's writer thread. Calls made before the thread has the
 * file open wait for it; if the thread dies, calls in flight fail as `unavailable` and the next one starts a
 * new thread and opens the file again.
 * @example const writer = threadWriter({ op: 'open', path }, Date.now)
 */
export function threadWriter(open: OpenRequest, now: () => number): SqliteWriter {
  let t = thread();
  let handle: number | undefined;
  const opened = () => {
    const p = send(t, open).then((r) => (handle = r.value as number));
    // A file the thread cannot open fails every call made on it; nobody need be waiting for that.
    p.catch(() => undefined);
    return p;
  };
  let opening = opened();
  let commits = 0;
  let closed = false;

  const ready = (): number | Promise<number> => {
    if (t.dead) {
      t = thread();
      handle = undefined;
      opening = opened();
    }
    return handle ?? opening;
  };
  const request = (make: (handle: number) => Request): Promise<Reply & { ok: true }> => {
    if (closed) return Promise.reject(new AetherError('unavailable', 'the SQLite stores are closed'));
    const h = ready();
    return typeof h === 'number' ? send(t, make(h)) : h.then((n) => send(t, make(n)));
  };
  const counted = (reply: Reply & { ok: true }) => {
    if (reply.commits !== undefined) commits = Math.max(commits, reply.commits);
    return reply.value;
  };

  return {
    call: (store, method, args) => request((handle) => ({ op: 'call', handle, store, method, args, now: now() })).then((r) => r.value),
    events: {
      commit: (batch: EventWire[]) =>
        request((handle) => ({ op: 'append', handle, batch })).then((r): EventOutcome[] => unpackOutcomes(counted(r) as PackedOutcomes)),
      commits: () => commits,
      handOverAt: HAND_OVER_AT,
      purge: (purge: CheckedPurge) => request((handle) => ({ op: 'purge-events', handle, request: purge })).then((r) => counted(r) as number),
    },
    pragma: (source) => request((handle) => ({ op: 'pragma', handle, source })).then((r) => r.value),
    opened: async () => {
      if (closed) throw new AetherError('unavailable', 'the SQLite stores are closed');
      await ready();
    },
    async close() {
      if (closed) return;
      const h = await Promise.resolve(ready()).catch(() => undefined);
      closed = true;
      if (h !== undefined && !t.dead) await send(t, { op: 'close', handle: h }).catch(() => undefined);
    },
  };
}
