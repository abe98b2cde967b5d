import { AetherError } from '@aetherlink/core';
import type Database from 'better-sqlite3';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The CRM's schema, one step per version; a step is never edited once released, only followed by another. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'leads and activities',
    sql: `
      CREATE TABLE leads (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        company TEXT,
        phone TEXT,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        owner TEXT,
        notes TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX leads_by_status ON leads (status, seq);
      CREATE INDEX leads_by_company ON leads (company COLLATE NOCASE, seq);
      CREATE TABLE activities (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        lead_id TEXT NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        note TEXT NOT NULL,
        occurred_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX activities_by_lead ON activities (lead_id, seq);
    `,
  },
  {
    version: 2,
    name: 'event outbox',
    // Events for the command center, written in the same transaction as the change they describe.
    sql: `
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        event TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        dead_at TEXT
      );
      CREATE INDEX outbox_pending ON outbox (dead_at, seq);
      CREATE INDEX activities_by_occurred ON activities (lead_id, occurred_at);
    `,
  },
];

/**
 * Brings the file to the newest schema, one transaction per step; refuses a file written by a newer version.
 * @example migrate(db) // → 2
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const known = Math.max(...migrations.map((m) => m.version));
  if (current > known) {
    throw new AetherError('config_invalid', `the CRM database is at schema version ${current}, newer than this customer-ops knows (${known}); run a newer customer-ops or point CRM_DB at another file`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return Math.max(current, known);
}
