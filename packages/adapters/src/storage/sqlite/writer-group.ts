import { translateError, type SqliteDatabase } from './database.js';
import type { EventOutcome, EventWrites } from './event-writes.js';
import { packOutcomes, toWire, type Reply, type Request, type WriteStore } from './writer-protocol.js';

/** One database open in the writer thread. */
export interface WriterHandle {
  db: SqliteDatabase;
  events: EventWrites;
  stores: Record<WriteStore, Record<string, (...args: unknown[]) => unknown>>;
  /** The caller's clock reading for the call being made (documents stamp their times with it). */
  now: number;
  /** Writes that arrived this turn, in order: committed together, then answered. */
  queue: { id: number; request: GroupRequest }[];
  scheduled: boolean;
}

export type GroupRequest = Extract<Request, { op: 'append' | 'call' | 'purge-events' }>;

interface Answer {
  id: number;
  value: unknown;
  /** An event write: its outcomes cross as data, and the reply carries the commit count. */
  events?: boolean;
}

const attempt = (fn: () => unknown): unknown => {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
};

/** Sends a reply to the calling thread, moving what `transfer` lists rather than copying it. */
export type Replier = (message: Reply, transfer?: ArrayBuffer[]) => void;

/** The error of the write that ended a transaction: a refused append's, or a failed call's. */
async function causeOf(answer: Answer | undefined): Promise<unknown> {
  if (Array.isArray(answer?.value)) return (answer.value as EventOutcome[]).find((o): o is { error: unknown } => 'error' in o)?.error;
  return Promise.resolve(answer?.value).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/**
 * Group commit of everything that waits for one database: one transaction (each write inside it a savepoint,
 * so a write that fails rolls back alone), one sync, then every answer. Consecutive appends share one savepoint
 * with the event store's own per-member retry. A failure the transaction cannot survive (a full disk, an I/O
 * error) fails every write of the group, none of which was acknowledged.
 * @example setImmediate(() => commitGroup(handle, reply))
 */
export function commitGroup(h: WriterHandle, reply: Replier): void {
  h.scheduled = false;
  const ops = h.queue;
  h.queue = [];
  if (ops.length === 0) return;
  const fail = (id: number, error: unknown) => reply({ id, ok: false, error: toWire(translateError(error)) });
  // One write (or appends alone) commits in its own transaction; the enclosing one is for groups of several.
  const own = ops.length === 1 || ops.every((o) => o.request.op === 'append');
  try {
    if (!own) h.db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    for (const { id } of ops) fail(id, error);
    return;
  }
  const answers: Answer[] = [];
  let ended = false;
  for (let i = 0; i < ops.length && !ended; i++) {
    const { id, request } = ops[i]!;
    if (request.op === 'append') {
      // Every append up to the next other write goes in one batch.
      const members = [{ id, size: request.batch.length }];
      const batch = [...request.batch];
      for (let next = ops[i + 1]; next?.request.op === 'append'; next = ops[i + 1]) {
        members.push({ id: next.id, size: next.request.batch.length });
        batch.push(...next.request.batch);
        i++;
      }
      const outcomes = h.events.commit(batch);
      let at = 0;
      for (const m of members) {
        answers.push({ id: m.id, value: outcomes.slice(at, (at += m.size)), events: true });
      }
    } else if (request.op === 'purge-events') {
      answers.push({ id, value: attempt(() => h.events.purge(request.request)), events: true });
    } else {
      const method = h.stores[request.store]?.[request.method];
      h.now = request.now;
      answers.push({ id, value: typeof method === 'function' ? attempt(() => method(...request.args)) : Promise.reject(new Error(`the writer thread makes no ${request.store}.${request.method}`)) });
    }
    // SQLite ends the transaction itself on a full disk or an I/O error: what the group wrote so far is gone.
    ended = !own && !h.db.inTransaction;
  }
  void finish(h, ops, answers, ended, own, reply, fail);
}

async function finish(
  h: WriterHandle,
  ops: WriterHandle['queue'],
  answers: Answer[],
  ended: boolean,
  own: boolean,
  reply: Replier,
  fail: (id: number, error: unknown) => void,
): Promise<void> {
  let lost: unknown;
  if (ended) lost = (await causeOf(answers[answers.length - 1])) ?? new Error('the transaction ended');
  else if (!own) {
    try {
      h.db.exec('COMMIT');
    } catch (error) {
      lost = error;
      if (h.db.inTransaction) h.db.exec('ROLLBACK');
    }
  }
  const commits = h.events.commits();
  for (const a of answers) {
    if (lost !== undefined) fail(a.id, lost);
    else if (a.events && Array.isArray(a.value)) {
      const packed = packOutcomes(a.value as EventOutcome[]);
      reply({ id: a.id, ok: true, value: packed, commits }, [packed.seqs.buffer]);
    } else if (a.events) Promise.resolve(a.value).then((value) => reply({ id: a.id, ok: true, value, commits }), (e: unknown) => fail(a.id, e));
    else Promise.resolve(a.value).then((value) => reply({ id: a.id, ok: true, value }), (e: unknown) => fail(a.id, e));
  }
  // Writes the group never reached (it ended before them).
  const answered = new Set(answers.map((a) => a.id));
  for (const { id } of ops) if (!answered.has(id)) fail(id, lost);
}
