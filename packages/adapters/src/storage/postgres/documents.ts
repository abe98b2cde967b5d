import {
  checkDocumentId,
  collectionName,
  documentKeys,
  jsonDocument,
  listPlan,
  resolveCollection,
  uniqueConflict,
  versionConflict,
  writeCondition,
  type DocumentKey,
  type DocumentStore,
  type ResolvedCollection,
  type StoredDocument,
} from '@aetherlink/core';
import type { PoolClient } from 'pg';
import type { Database } from './pool.js';
import { int, isoOf } from './rows.js';

interface DocumentRow {
  id: string;
  version: string;
  data: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const toDocument = (r: DocumentRow): StoredDocument => ({ id: r.id, version: int(r.version), data: r.data, created_at: isoOf(r.created_at), updated_at: isoOf(r.updated_at) });

const COLUMNS = 'd.id, d.version, d.data, d.created_at, d.updated_at';

/**
 * Documents in PostgreSQL, on one generic schema (documents, their keys on declared fields, a row per
 * collection), so a new collection needs no migration. Every write first locks its collection's row (bumping
 * the change version), then compares and sets; instances on other pools or hosts serialize on that row.
 * @example const documents = postgresDocumentStore(db)
 */
export function postgresDocumentStore(db: Database): DocumentStore & { close(): Promise<void> } {
  const docs = db.t('documents');
  const keys = db.t('document_keys');
  const cols = db.t('document_collections');

  const insertKeys = async (client: PoolClient, name: string, rows: { id: string; key: DocumentKey }[], upsert: boolean) => {
    if (rows.length === 0) return;
    await client.query(
      `INSERT INTO ${keys} (collection, id, field, value, uniq) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::boolean[])
       ${upsert ? 'ON CONFLICT (collection, id, field) DO UPDATE SET value = EXCLUDED.value, uniq = EXCLUDED.uniq' : ''}`,
      [name, rows.map((r) => r.id), rows.map((r) => r.key.field), rows.map((r) => r.key.value), rows.map((r) => r.key.unique)],
    );
  };

  // Keys follow the caller's declaration; when the recorded one differs, every document's keys are computed
  // anew under the collection's lock (a unique field existing documents break rolls it all back).
  const rebuild = async (client: PoolClient, c: ResolvedCollection) => {
    await client.query(`DELETE FROM ${keys} WHERE collection = $1`, [c.name]);
    const { rows } = await client.query<{ id: string; data: Record<string, unknown> }>(`SELECT id, data FROM ${docs} WHERE collection = $1 ORDER BY id`, [c.name]);
    const owners = new Map<string, string>();
    const all: { id: string; key: DocumentKey }[] = [];
    for (const row of rows) {
      for (const key of documentKeys(c, row.data)) {
        const owner = `${key.field}\u0000${key.value}`;
        const holder = key.unique ? owners.get(owner) : undefined;
        if (holder !== undefined) throw uniqueConflict(c.name, row.id, key.field, holder);
        if (key.unique) owners.set(owner, row.id);
        all.push({ id: row.id, key });
      }
    }
    await insertKeys(client, c.name, all, false);
    await client.query(`UPDATE ${cols} SET spec = $2 WHERE name = $1`, [c.name, c.signature]);
  };

  const ensure = (c: ResolvedCollection) =>
    db.transaction(async (client) => {
      const { rows } = await client.query<{ spec: string }>(`SELECT spec FROM ${cols} WHERE name = $1 FOR UPDATE`, [c.name]);
      if (!rows[0] || rows[0].spec === c.signature) return false;
      await rebuild(client, c);
      return true;
    });

  const actualVersion = async (client: PoolClient, name: string, id: string) => {
    const { rows } = await client.query<{ version: string }>(`SELECT version FROM ${docs} WHERE collection = $1 AND id = $2`, [name, id]);
    return rows[0] ? int(rows[0].version) : 0;
  };

  // The document's row under the write's condition: unconditional upsert, create-only, or compare-and-set.
  const writeSql = (expected: number | undefined) =>
    expected === undefined
      ? `INSERT INTO ${docs} (collection, id, version, data, created_at, updated_at) VALUES ($1, $2, $3, $4::json, $5::timestamptz, $5::timestamptz)
         ON CONFLICT (collection, id) DO UPDATE SET version = EXCLUDED.version, data = EXCLUDED.data, updated_at = EXCLUDED.updated_at RETURNING created_at`
      : expected === 0
        ? `INSERT INTO ${docs} (collection, id, version, data, created_at, updated_at) VALUES ($1, $2, $3, $4::json, $5::timestamptz, $5::timestamptz)
           ON CONFLICT (collection, id) DO NOTHING RETURNING created_at`
        : `UPDATE ${docs} SET version = $3, data = $4::json, updated_at = $5::timestamptz WHERE collection = $1 AND id = $2 AND version = $6 RETURNING created_at`;

  return {
    async get(collection, id) {
      const { rows } = await db.query<DocumentRow>(`SELECT ${COLUMNS} FROM ${docs} d WHERE d.collection = $1 AND d.id = $2`, [collectionName(collection), checkDocumentId(id)]);
      return rows[0] ? toDocument(rows[0]) : null;
    },
    async put(collection, doc, options) {
      const c = resolveCollection(collection);
      const id = checkDocumentId(doc?.id);
      const expected = writeCondition(options);
      const { data, text } = jsonDocument(doc.data);
      const docKeys = documentKeys(c, data);
      const now = new Date(db.clock.now()).toISOString();
      return db.transaction(async (client) => {
        const { rows: [bumped] } = await client.query<{ version: string; spec: string }>(
          `INSERT INTO ${cols} AS c (name, version, spec) VALUES ($1, 1, $2) ON CONFLICT (name) DO UPDATE SET version = c.version + 1 RETURNING version, spec`,
          [c.name, c.signature],
        );
        const version = int(bumped!.version);
        if (bumped!.spec !== c.signature) await rebuild(client, c);
        const params = [c.name, id, version, text, now, ...(expected ? [expected] : [])];
        const { rows: [written] } = await client.query<{ created_at: Date }>(writeSql(expected), params);
        if (!written) throw versionConflict(c.name, id, expected ?? 0, await actualVersion(client, c.name, id));
        const unique = docKeys.filter((k) => k.unique);
        if (unique.length > 0) {
          const { rows: [taken] } = await client.query<{ field: string; id: string }>(
            `SELECT k.field, k.id FROM ${keys} k JOIN unnest($3::text[], $4::text[]) AS u(field, value) ON k.field = u.field AND k.value = u.value
             WHERE k.collection = $1 AND k.uniq AND k.id <> $2 ORDER BY k.field LIMIT 1`,
            [c.name, id, unique.map((k) => k.field), unique.map((k) => k.value)],
          );
          if (taken) throw uniqueConflict(c.name, id, taken.field, taken.id);
        }
        await insertKeys(client, c.name, docKeys.map((key) => ({ id, key })), true);
        return { id, version, data, created_at: isoOf(written.created_at), updated_at: now };
      });
    },
    async remove(collection, id, options) {
      const name = collectionName(collection);
      checkDocumentId(id);
      const expected = writeCondition(options);
      return db.transaction(async (client) => {
        // Locking the collection's row orders this write with every other write to the collection.
        await client.query(`SELECT 1 FROM ${cols} WHERE name = $1 FOR UPDATE`, [name]);
        const actual = await actualVersion(client, name, id);
        if (expected !== undefined && expected !== actual) throw versionConflict(name, id, expected, actual);
        if (actual === 0) return false;
        await client.query(
          `WITH gone AS (DELETE FROM ${docs} WHERE collection = $1 AND id = $2 RETURNING id)
           UPDATE ${cols} SET version = version + 1 WHERE name = $1 AND EXISTS (SELECT 1 FROM gone)`,
          [name, id],
        );
        return true;
      });
    },
    async list(collection, query) {
      const c = resolveCollection(collection);
      const plan = listPlan(c, query);
      // Joining the collection's row on the declaration returns nothing when the keys follow another one.
      const params: unknown[] = [c.name, c.signature];
      const at = (value: unknown) => `$${params.push(value)}`;
      let sql = `SELECT ${COLUMNS} FROM ${docs} d JOIN ${cols} c ON c.name = d.collection AND c.spec = $2`;
      plan.where.forEach((w, i) => {
        sql += ` JOIN ${keys} k${i} ON k${i}.collection = d.collection AND k${i}.id = d.id AND k${i}.field = ${at(w.field)} AND k${i}.value = ${at(w.value)}`;
      });
      sql += ' WHERE d.collection = $1';
      if (plan.after !== undefined) sql += ` AND d.id > ${at(plan.after)}`;
      sql += ' ORDER BY d.id';
      if (plan.limit !== undefined) sql += ` LIMIT ${at(plan.limit)}`;
      for (let attempt = 0; ; attempt++) {
        const { rows } = await db.query<DocumentRow>(sql, params);
        if (rows.length > 0 || attempt > 0) return rows.map(toDocument);
        const { rows: [recorded] } = await db.query<{ spec: string }>(`SELECT spec FROM ${cols} WHERE name = $1`, [c.name]);
        if (!recorded || recorded.spec === c.signature || !(await ensure(c))) return [];
      }
    },
    async version(collection) {
      const { rows } =
        collection === undefined
          ? await db.query<{ n: string }>(`SELECT coalesce(sum(version), 0) AS n FROM ${cols}`)
          : await db.query<{ n: string }>(`SELECT version AS n FROM ${cols} WHERE name = $1`, [collectionName(collection)]);
      return int(rows[0]?.n ?? 0);
    },
    async close() {},
  };
}
