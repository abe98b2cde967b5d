import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertRulesCollection, collection } from '@aetherlink/core';
import { rejection } from '@aetherlink/core/testing';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, sqliteStores, type SqliteStores } from './index.js';

const opened: SqliteStores[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

/** A file as the release before documents left it: migration 1 only, with rules in the old table. */
function fileWithOldRules(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aetherlink-docs-')), 'old.db');
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  db.exec(MIGRATIONS.find((m) => m.version === 1)!.sql);
  db.prepare("INSERT INTO schema_migrations VALUES (1, 'initial schema', '2026-01-01T00:00:00.000Z')").run();
  const insert = db.prepare('INSERT INTO rules (id, name, enabled, spec, state, created_at, updated_at, ord) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  insert.run('r-1', 'spike', 1, JSON.stringify({ event_type: 'autoheal.failed', threshold: 3, nested: { group_by: ['service'] }, note: 'ü 🚀' }), null, '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', 1);
  insert.run('r-2', 'quiet', 0, '{}', JSON.stringify({ firing_since: '2026-01-03T00:00:00.000Z' }), '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:01.000Z', 2);
  db.close();
  return path;
}

describe('sqlite documents migration', () => {
  it('moves existing rules into the alert_rules collection, keeping ids, times and unique names, and drops the old table', async () => {
    const stores = sqliteStores({ path: fileWithOldRules() });
    opened.push(stores);
    const rules = collection(stores.documents, alertRulesCollection);
    expect(await rules.get('r-1')).toEqual({
      id: 'r-1',
      version: 1,
      data: { name: 'spike', enabled: true, spec: { event_type: 'autoheal.failed', threshold: 3, nested: { group_by: ['service'] }, note: 'ü 🚀' }, state: null },
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
    });
    expect((await rules.get('r-2'))!.data).toEqual({ name: 'quiet', enabled: false, spec: {}, state: { firing_since: '2026-01-03T00:00:00.000Z' } });
    expect((await rules.list()).map((r) => r.id)).toEqual(['r-1', 'r-2']);
    expect((await rules.list({ where: { enabled: false } })).map((r) => r.data.name)).toEqual(['quiet']);
    expect((await rejection(rules.create({ data: { name: 'spike', enabled: true, spec: {}, state: null } }))).details).toMatchObject({ conflict: 'unique', existing_id: 'r-1' });
    const renamed = await rules.update('r-2', (r) => ({ ...r, name: 'renamed' }));
    expect(renamed!.version).toBeGreaterThan(2);
    expect(stores.db.prepare("SELECT name FROM sqlite_master WHERE name = 'rules'").all()).toEqual([]);
    expect(stores.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
  });

  it('migrates a file that had no rules without creating the collection', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aetherlink-docs-')), 'empty.db');
    const stores = sqliteStores({ path });
    opened.push(stores);
    expect(await stores.documents.version()).toBe(0);
    expect(await collection(stores.documents, alertRulesCollection).list()).toEqual([]);
  });
});
