import { cloneRecord, patchOver, revisionMatches, upsertOver, type RegistryFilter, type RegistryStore, type ServiceRecord } from '@aetherlink/core';
import { guarded as guard, type SqliteDatabase } from './database.js';
import { statementCache } from './statements.js';

/**
 * Registered services in SQLite: the record as JSON, with status and tags indexed for the list filters. Writes
 * run in immediate transactions, so a conditional write's check and its write see the same row; a record's
 * revision is the registry version its write moved to, so a name never sees a revision twice.
 * @example const registry = createRegistry({ store: sqliteRegistryStore(db), bus })
 */
export function sqliteRegistryStore(db: SqliteDatabase): RegistryStore {
  const stmt = statementCache(db);
  const getRow = db.prepare('SELECT record FROM services WHERE name = ?');
  const put = db.prepare('INSERT INTO services (name, status, record) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET status = excluded.status, record = excluded.record');
  const clearTags = db.prepare('DELETE FROM service_tags WHERE name = ?');
  const addTag = db.prepare('INSERT OR IGNORE INTO service_tags (name, tag) VALUES (?, ?)');
  const bump = db.prepare("INSERT INTO counters (name, n) VALUES ('registry_version', 1) ON CONFLICT (name) DO UPDATE SET n = n + 1 RETURNING n");
  const nextVersion = () => (bump.get() as { n: number }).n;
  const read = (name: string) => {
    const row = getRow.get(name) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as ServiceRecord) : null;
  };
  const save = (record: ServiceRecord, tagsChanged: boolean) => {
    put.run(record.name, record.status, JSON.stringify(record));
    if (tagsChanged) {
      clearTags.run(record.name);
      for (const tag of record.tags) addTag.run(record.name, tag);
    }
  };
  const upsertTx = db.transaction((incoming: Parameters<RegistryStore['upsert']>[0]) => {
    const existing = read(incoming.name);
    const merged = upsertOver(existing, incoming, nextVersion());
    save(merged, true);
    return { record: merged, created: !existing };
  });
  const patchTx = db.transaction((name: string, patch: Parameters<RegistryStore['patch']>[1], ifRevision: number | undefined) => {
    const existing = read(name);
    if (!existing || !revisionMatches(existing, { ifRevision })) return null;
    const next = patchOver(existing, patch, nextVersion());
    save(next, patch.tags !== undefined);
    return next;
  });
  const removeTx = db.transaction((name: string, ifRevision: number | undefined) => {
    const existing = read(name);
    if (!existing || !revisionMatches(existing, { ifRevision })) return false;
    stmt('DELETE FROM services WHERE name = ?').run(name);
    nextVersion();
    return true;
  });
  return {
    upsert: (record) => guard(() => upsertTx.immediate(cloneRecord(record))),
    get: (name) => guard(() => read(name)),
    list: (filter: RegistryFilter = {}) =>
      guard(() => {
        const where: string[] = [];
        const params: unknown[] = [];
        if (filter.tag !== undefined) (where.push('name IN (SELECT name FROM service_tags WHERE tag = ?)'), params.push(filter.tag));
        if (filter.status !== undefined) (where.push('status = ?'), params.push(filter.status));
        const sql = `SELECT record FROM services ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY name`;
        return (stmt(sql).all(...params) as { record: string }[]).map((r) => JSON.parse(r.record) as ServiceRecord);
      }),
    patch: (name, patch, condition) => guard(() => patchTx.immediate(name, cloneRecord(patch), condition?.ifRevision)),
    remove: (name, condition) => guard(() => removeTx.immediate(name, condition?.ifRevision)),
    version: () => guard(() => (stmt("SELECT n FROM counters WHERE name = 'registry_version'").get() as { n: number } | undefined)?.n ?? 0),
  };
}
