import { systemClock, type Clock } from '../../clock.js';
import {
  checkDocumentId,
  collectionName,
  compareCodePoints,
  documentKeys,
  jsonDocument,
  listPlan,
  resolveCollection,
  uniqueConflict,
  versionConflict,
  writeCondition,
  type DocumentKey,
  type ResolvedCollection,
} from '../documents.js';
import { cloneRecord } from '../shared.js';
import type { DocumentStore, StoredDocument } from '../types.js';

interface Entry {
  doc: StoredDocument;
  keys: DocumentKey[];
}

interface MemoryCollection {
  version: number;
  signature: string;
  docs: Map<string, Entry>;
  /** `field \0 value` of each unique key → the id holding it. */
  owners: Map<string, string>;
}

const ownerKey = (key: DocumentKey) => `${key.field}\u0000${key.value}`;

/**
 * Documents in memory (one process; nothing survives a restart). Keeps the same keys the SQL stores keep, so a
 * changed declaration behaves the same everywhere.
 * @example const documents = memoryDocumentStore({ clock })
 */
export function memoryDocumentStore(options: { clock?: Clock } = {}): DocumentStore {
  const clock = options.clock ?? systemClock;
  const collections = new Map<string, MemoryCollection>();

  // Keys follow the declaration the caller passes; when it changed, every document's keys are computed anew
  // (and a unique field that existing documents break is refused) before anything else happens.
  const open = (c: ResolvedCollection): MemoryCollection => {
    let col = collections.get(c.name);
    if (!col) {
      col = { version: 0, signature: c.signature, docs: new Map(), owners: new Map() };
      collections.set(c.name, col);
    }
    if (col.signature === c.signature) return col;
    const owners = new Map<string, string>();
    const rekeyed = [...col.docs.values()].map((entry) => {
      const keys = documentKeys(c, entry.doc.data);
      for (const key of keys.filter((k) => k.unique)) {
        const holder = owners.get(ownerKey(key));
        if (holder !== undefined) throw uniqueConflict(c.name, entry.doc.id, key.field, holder);
        owners.set(ownerKey(key), entry.doc.id);
      }
      return { entry, keys };
    });
    for (const { entry, keys } of rekeyed) entry.keys = keys;
    col.owners = owners;
    col.signature = c.signature;
    return col;
  };
  const versionOf = (name: string, id: string) => collections.get(name)?.docs.get(id)?.doc.version ?? 0;

  return {
    async get(collection, id) {
      const entry = collections.get(collectionName(collection))?.docs.get(checkDocumentId(id));
      return entry ? cloneRecord(entry.doc) : null;
    },
    async put(collection, doc, options) {
      const c = resolveCollection(collection);
      const id = checkDocumentId(doc?.id);
      const expected = writeCondition(options);
      const { data } = jsonDocument(doc.data);
      const keys = documentKeys(c, data);
      const col = open(c);
      const current = col.docs.get(id);
      if (expected !== undefined && expected !== (current?.doc.version ?? 0)) throw versionConflict(c.name, id, expected, current?.doc.version ?? 0);
      for (const key of keys) {
        const holder = key.unique ? col.owners.get(ownerKey(key)) : undefined;
        if (holder !== undefined && holder !== id) throw uniqueConflict(c.name, id, key.field, holder);
      }
      for (const key of current?.keys ?? []) if (key.unique) col.owners.delete(ownerKey(key));
      for (const key of keys) if (key.unique) col.owners.set(ownerKey(key), id);
      const now = new Date(clock.now()).toISOString();
      const stored: StoredDocument = { id, version: ++col.version, data, created_at: current?.doc.created_at ?? now, updated_at: now };
      col.docs.set(id, { doc: stored, keys });
      return cloneRecord(stored);
    },
    async remove(collection, id, options) {
      const name = collectionName(collection);
      checkDocumentId(id);
      const expected = writeCondition(options);
      const actual = versionOf(name, id);
      if (expected !== undefined && expected !== actual) throw versionConflict(name, id, expected, actual);
      const col = collections.get(name);
      const entry = col?.docs.get(id);
      if (!col || !entry) return false;
      for (const key of entry.keys) if (key.unique) col.owners.delete(ownerKey(key));
      col.docs.delete(id);
      col.version++;
      return true;
    },
    async list(collection, query) {
      const c = resolveCollection(collection);
      const plan = listPlan(c, query);
      if (!collections.has(c.name)) return [];
      const col = open(c);
      const out: StoredDocument[] = [];
      for (const { doc, keys } of col.docs.values()) {
        if (plan.after !== undefined && compareCodePoints(doc.id, plan.after) <= 0) continue;
        if (plan.where.every((w) => keys.some((k) => k.field === w.field && k.value === w.value))) out.push(doc);
      }
      out.sort((a, b) => compareCodePoints(a.id, b.id));
      return cloneRecord(plan.limit === undefined ? out : out.slice(0, plan.limit));
    },
    async version(collection) {
      if (collection !== undefined) return collections.get(collectionName(collection))?.version ?? 0;
      let sum = 0;
      for (const col of collections.values()) sum += col.version;
      return sum;
    },
  };
}
