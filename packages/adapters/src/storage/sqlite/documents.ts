import {
  checkDocumentId,
  collectionName,
  documentKeys,
  jsonDocument,
  listPlan,
  resolveCollection,
  systemClock,
  uniqueConflict,
  versionConflict,
  writeCondition,
  type Clock,
  type DocumentKey,
  type DocumentStore,
  type ResolvedCollection,
  type StoredDocument,
} from '@aetherlink/core';
import { guarded, type SqliteDatabase } from './database.js';
import { statementCache } from './statements.js';

interface DocumentRow {
  id: string;
  version: number;
  data: string;
  created_at: string;
  updated_at: string;
}

const toDocument = (r: DocumentRow): StoredDocument => ({
  id: r.id,
  version: r.version,
  data: JSON.parse(r.data) as Record<string, unknown>,
  created_at: r.created_at,
  updated_at: r.updated_at,
});

const COLUMNS = 'd.id, d.version, d.data, d.created_at, d.updated_at';

/**
 * Documents in SQLite: one generic schema (documents, their keys on declared fields, a row per collection with
 * its change version and declaration), so a new collection needs no migration. Writes are IMMEDIATE
 * transactions, which makes each compare-and-set atomic across connections and processes.
 * @example const documents = sqliteDocumentStore(db)
 */
export function sqliteDocumentStore(db: SqliteDatabase, options: { clock?: Clock } = {}): DocumentStore {
  const clock = options.clock ?? systemClock;
  const stmt = statementCache(db);
  const current = (name: string, id: string) =>
    stmt('SELECT version, created_at FROM documents WHERE collection = ? AND id = ?').get(name, id) as { version: number; created_at: string } | undefined;
  const holderOf = (name: string, key: DocumentKey, id: string) =>
    (stmt('SELECT id FROM document_keys WHERE collection = ? AND field = ? AND value = ? AND uniq = 1 AND id <> ?').get(name, key.field, key.value, id) as
      | { id: string }
      | undefined)?.id;
  const writeKeys = (name: string, id: string, keys: readonly DocumentKey[]) => {
    for (const key of keys) {
      const holder = key.unique ? holderOf(name, key, id) : undefined;
      if (holder !== undefined) throw uniqueConflict(name, id, key.field, holder);
      stmt('INSERT INTO document_keys (collection, id, field, value, uniq) VALUES (?, ?, ?, ?, ?) ON CONFLICT (collection, id, field) DO UPDATE SET value = excluded.value, uniq = excluded.uniq').run(
        name, id, key.field, key.value, key.unique ? 1 : 0,
      );
    }
  };
  // Keys follow the caller's declaration; when the recorded one differs, every document's keys are computed
  // anew inside the caller's transaction (a unique field existing documents break rolls it all back).
  const rebuild = (c: ResolvedCollection) => {
    stmt('DELETE FROM document_keys WHERE collection = ?').run(c.name);
    for (const row of stmt('SELECT id, data FROM documents WHERE collection = ? ORDER BY id').all(c.name) as { id: string; data: string }[]) {
      writeKeys(c.name, row.id, documentKeys(c, JSON.parse(row.data) as Record<string, unknown>));
    }
    stmt('UPDATE document_collections SET spec = ? WHERE name = ?').run(c.signature, c.name);
  };
  const recordedSpec = (name: string) => (stmt('SELECT spec FROM document_collections WHERE name = ?').get(name) as { spec: string } | undefined)?.spec;
  const ensureTx = db.transaction((c: ResolvedCollection) => {
    const spec = recordedSpec(c.name);
    if (spec !== undefined && spec !== c.signature) rebuild(c);
  });

  const putTx = db.transaction((c: ResolvedCollection, id: string, text: string, keys: DocumentKey[], expected: number | undefined) => {
    const bumped = stmt(
      'INSERT INTO document_collections (name, version, spec) VALUES (?, 1, ?) ON CONFLICT (name) DO UPDATE SET version = version + 1 RETURNING version, spec',
    ).get(c.name, c.signature) as { version: number; spec: string };
    if (bumped.spec !== c.signature) rebuild(c);
    const was = current(c.name, id);
    if (expected !== undefined && expected !== (was?.version ?? 0)) throw versionConflict(c.name, id, expected, was?.version ?? 0);
    const now = new Date(clock.now()).toISOString();
    const createdAt = was?.created_at ?? now;
    stmt(
      'INSERT INTO documents (collection, id, version, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET version = excluded.version, data = excluded.data, updated_at = excluded.updated_at',
    ).run(c.name, id, bumped.version, text, createdAt, now);
    writeKeys(c.name, id, keys);
    return { version: bumped.version, createdAt, now };
  });

  const removeTx = db.transaction((name: string, id: string, expected: number | undefined) => {
    const actual = current(name, id)?.version ?? 0;
    if (expected !== undefined && expected !== actual) throw versionConflict(name, id, expected, actual);
    if (actual === 0) return false;
    stmt('DELETE FROM document_keys WHERE collection = ? AND id = ?').run(name, id);
    stmt('DELETE FROM documents WHERE collection = ? AND id = ?').run(name, id);
    stmt('UPDATE document_collections SET version = version + 1 WHERE name = ?').run(name);
    return true;
  });

  return {
    get: (collection, id) =>
      guarded(() => {
        const row = stmt(`SELECT ${COLUMNS} FROM documents d WHERE d.collection = ? AND d.id = ?`).get(collectionName(collection), checkDocumentId(id)) as DocumentRow | undefined;
        return row ? toDocument(row) : null;
      }),
    put: (collection, doc, options) =>
      guarded(() => {
        const c = resolveCollection(collection);
        const id = checkDocumentId(doc?.id);
        const expected = writeCondition(options);
        const { data, text } = jsonDocument(doc.data);
        const { version, createdAt, now } = putTx.immediate(c, id, text, documentKeys(c, data), expected);
        return { id, version, data, created_at: createdAt, updated_at: now };
      }),
    remove: (collection, id, options) => guarded(() => removeTx.immediate(collectionName(collection), checkDocumentId(id), writeCondition(options))),
    list: (collection, query) =>
      guarded(() => {
        const c = resolveCollection(collection);
        const plan = listPlan(c, query);
        const spec = recordedSpec(c.name);
        if (spec === undefined) return [];
        if (spec !== c.signature) ensureTx.immediate(c);
        // The first filter drives the scan through the keys index; the others are checked per document.
        const [first, ...rest] = plan.where;
        const params: unknown[] = [];
        let sql = `SELECT ${COLUMNS} FROM documents d`;
        if (first) {
          sql += ' JOIN document_keys k ON k.collection = d.collection AND k.id = d.id AND k.field = ? AND k.value = ?';
          params.push(first.field, first.value);
        }
        sql += ' WHERE d.collection = ?';
        params.push(c.name);
        for (const w of rest) {
          sql += ' AND EXISTS (SELECT 1 FROM document_keys x WHERE x.collection = d.collection AND x.id = d.id AND x.field = ? AND x.value = ?)';
          params.push(w.field, w.value);
        }
        if (plan.after !== undefined) (sql += ' AND d.id > ?', params.push(plan.after));
        sql += ' ORDER BY d.id';
        if (plan.limit !== undefined) (sql += ' LIMIT ?', params.push(plan.limit));
        return (stmt(sql).all(...params) as DocumentRow[]).map(toDocument);
      }),
    version: (collection) =>
      guarded(() =>
        collection === undefined
          ? (stmt('SELECT coalesce(sum(version), 0) AS n FROM document_collections').get() as { n: number }).n
          : ((stmt('SELECT version FROM document_collections WHERE name = ?').get(collectionName(collection)) as { version: number } | undefined)?.version ?? 0),
      ),
  };
}
