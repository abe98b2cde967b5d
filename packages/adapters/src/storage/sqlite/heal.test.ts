import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, sqliteStores, type SqliteStores } from './index.js';

const opened: SqliteStores[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describe('sqlite heal history migration', () => {
  it('keeps heal history written before attempts carried their why, probe and timings', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aetherlink-heal-')), 'old.db');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const heal = MIGRATIONS.find((m) => m.name.startsWith('heal history: why'))!.version;
    for (const m of MIGRATIONS.filter((m) => m.version < heal)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, '2026-01-01T00:00:00.000Z');
    }
    db.prepare("INSERT INTO heal_history (id, ts, service, action, outcome, message, duration_ms, attempt) VALUES ('h-1', '2026-01-01T00:00:00.000Z', 'api', 'restart', 'failed', 'exit 137', NULL, 2)").run();
    db.close();

    const stores = sqliteStores({ path });
    opened.push(stores);
    expect(await stores.heal.list({ limit: 5 })).toEqual([
      {
        id: 'h-1', ts: '2026-01-01T00:00:00.000Z', service: 'api', action: 'restart', outcome: 'failed', reason: '', message: 'exit 137',
        probe: null, attempt: 2, delay_ms: null, detected_at: null, started_at: null, duration_ms: null, error: null,
      },
    ]);
    expect(await stores.heal.tally()).toEqual([{ service: 'api', outcome: 'failed', count: 1 }]);
    expect(stores.db.prepare("SELECT name FROM sqlite_master WHERE name = 'heal_outcome'").all()).toEqual([{ name: 'heal_outcome' }]);
  });
});
