// The SQLite writer thread: owns the write connection of every database its process opened, commits event
// appends in groups (everything that arrived while the previous commit was syncing goes into the next one) and
// makes the other stores' writes, each acknowledged only after its commit. Reads never come here.
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { Clock } from '@aetherlink/core';
import { sqliteAuditStore } from './audit.js';
import { openDatabase, translateError, type SqliteDatabase } from './database.js';
import { sqliteDeliveryStore } from './deliveries.js';
import { sqliteDocumentStore } from './documents.js';
import { eventWrites, type EventOutcome, type EventWire, type EventWrites } from './event-writes.js';
import { sqliteHealHistoryStore } from './heal.js';
import { sqliteRegistryStore } from './registry.js';
import { sqliteDeliveryRetention, sqliteHealRetention } from './retention.js';
import { toWire, type OpenRequest, type Reply, type Request, type WriteStore } from './writer-protocol.js';

interface Handle {
  db: SqliteDatabase;
  events: EventWrites;
  stores: Record<WriteStore, Record<string, (...args: unknown[]) => unknown>>;
  /** The caller's clock reading for the call being made (documents stamp their times with it). */
  now: number;
  queue: { id: number; batch: EventWire[] }[];
  scheduled: boolean;
}

const port = parentPort!;
const handles = new Map<number, Handle>();
let nextHandle = 0;

const reply = (message: Reply) => port.postMessage(message);
const fail = (id: number, error: unknown) => reply({ id, ok: false, error: toWire(translateError(error)) });

async function open(request: OpenRequest): Promise<number> {
  // The caller opened and migrated the file already: this connection only needs the same settings.
  const db = openDatabase({
    path: request.path,
    ...(request.synchronous ? { synchronous: request.synchronous } : {}),
    ...(request.busyTimeoutMs !== undefined ? { busyTimeoutMs: request.busyTimeoutMs } : {}),
    countOpen: false,
  });
  try {
    if (request.setup) {
      const url = /^[a-z]+:/i.test(request.setup.module) ? request.setup.module : pathToFileURL(request.setup.module).href;
      const setup = ((await import(url)) as { default: (db: SqliteDatabase, data: unknown) => unknown }).default;
      await setup(db, request.setup.data);
    }
  } catch (error) {
    db.close();
    throw error;
  }
  const handle: Handle = { db, events: eventWrites(db), stores: {} as Handle['stores'], now: 0, queue: [], scheduled: false };
  const clock = { now: () => handle.now } as Clock;
  handle.stores = {
    audit: sqliteAuditStore(db) as never,
    registry: sqliteRegistryStore(db) as never,
    documents: sqliteDocumentStore(db, { clock }) as never,
    deliveries: { ...sqliteDeliveryStore(db), ...sqliteDeliveryRetention(db) } as never,
    heal: { ...sqliteHealHistoryStore(db), ...sqliteHealRetention(db) } as never,
  };
  handles.set(++nextHandle, handle);
  return nextHandle;
}

/** Commits every append that waits for one database in one transaction, then answers each message. */
function flush(h: Handle): void {
  h.scheduled = false;
  if (h.queue.length === 0) return;
  const waiting = h.queue;
  h.queue = [];
  const all = waiting.length === 1 ? waiting[0]!.batch : waiting.flatMap((w) => w.batch);
  const outcomes = h.events.commit(all);
  const commits = h.events.commits();
  let at = 0;
  for (const { id, batch } of waiting) {
    const mine = outcomes.slice(at, at + batch.length).map((o): EventOutcome => ('error' in o ? { error: toWire(o.error) } : o));
    at += batch.length;
    reply({ id, ok: true, value: mine, commits });
  }
}

async function handle(id: number, request: Request): Promise<void> {
  if (request.op === 'open') return reply({ id, ok: true, value: await open(request) });
  const h = handles.get(request.handle);
  if (!h) throw new Error(`no open SQLite database with handle ${request.handle} in the writer thread`);
  if (request.op === 'append') {
    h.queue.push({ id, batch: request.batch });
    if (!h.scheduled) {
      h.scheduled = true;
      setImmediate(flush, h);
    }
    return;
  }
  // Anything else goes after the appends that arrived before it.
  flush(h);
  switch (request.op) {
    case 'call': {
      const method = h.stores[request.store]?.[request.method];
      if (typeof method !== 'function') throw new Error(`the writer thread makes no ${request.store}.${request.method}`);
      h.now = request.now;
      return reply({ id, ok: true, value: await method(...request.args) });
    }
    case 'purge-events':
      return reply({ id, ok: true, value: h.events.purge(request.request), commits: h.events.commits() });
    case 'pragma':
      return reply({ id, ok: true, value: h.db.pragma(request.source) });
    case 'close':
      handles.delete(request.handle);
      h.db.close();
      return reply({ id, ok: true, value: null });
  }
}

port.on('message', (message: Request & { id: number }) => {
  handle(message.id, message).catch((error: unknown) => fail(message.id, error));
});
