// The SQLite writer thread: owns the write connection of every database its process opened and commits every
// write in groups (all that arrived while the previous commit was syncing go into the next one), each
// acknowledged only after its commit. Reads never come here.
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { Clock } from '@aetherlink/core';
import { sqliteAuditStore } from './audit.js';
import { openDatabase, translateError, type SqliteDatabase } from './database.js';
import { sqliteDeliveryStore } from './deliveries.js';
import { sqliteDocumentStore } from './documents.js';
import { eventWrites } from './event-writes.js';
import { sqliteHealHistoryStore } from './heal.js';
import { sqliteRegistryStore } from './registry.js';
import { sqliteDeliveryRetention, sqliteHealRetention } from './retention.js';
import { commitGroup, type Replier, type WriterHandle } from './writer-group.js';
import { toWire, type OpenRequest, type Request } from './writer-protocol.js';

const port = parentPort!;
const handles = new Map<number, WriterHandle>();
let nextHandle = 0;

const reply: Replier = (message, transfer) => port.postMessage(message, transfer);
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
  const handle: WriterHandle = { db, events: eventWrites(db), stores: {} as WriterHandle['stores'], now: 0, queue: [], scheduled: false };
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

async function handle(id: number, request: Request): Promise<void> {
  if (request.op === 'open') return reply({ id, ok: true, value: await open(request) });
  const h = handles.get(request.handle);
  if (!h) throw new Error(`no open SQLite database with handle ${request.handle} in the writer thread`);
  if (request.op === 'append' || request.op === 'call' || request.op === 'purge-events') {
    h.queue.push({ id, request });
    if (!h.scheduled) {
      h.scheduled = true;
      setImmediate(commitGroup, h, reply);
    }
    return;
  }
  // Anything else goes after the writes that arrived before it.
  commitGroup(h, reply);
  if (request.op === 'pragma') return reply({ id, ok: true, value: h.db.pragma(request.source) });
  handles.delete(request.handle);
  h.db.close();
  reply({ id, ok: true, value: null });
}

port.on('message', (message: Request & { id: number }) => {
  handle(message.id, message).catch((error: unknown) => fail(message.id, error));
});
