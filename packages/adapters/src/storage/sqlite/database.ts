import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { AetherError } from '@aetherlink/core';
import type Database from 'better-sqlite3';
import { loadPeer } from '../../_internal/peer.js';
import { MIGRATIONS } from './migrations.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  /** File path, or `:memory:`. */
  path: string;
  /**
   * `FULL` (default) syncs the WAL on every commit: an acknowledged write survives power loss, not only a
   * crash. `NORMAL` survives a process crash and is faster.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Wait this long for a lock held by another connection, ms. Default 5000. */
  busyTimeoutMs?: number;
  /** Counts this open in the file (a write that proves the file writable). Default true. */
  countOpen?: boolean;
}

/**
 * Opens (creating if needed) and migrates an AetherLink SQLite file, or throws an AetherError that says what is
 * wrong with the file in words — never a bare SQLite code.
 * @example const db = openDatabase({ path: './data/aetherlink.db' })
 */
export function openDatabase(options: OpenOptions): SqliteDatabase {
  const path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
  let db: SqliteDatabase | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const Sqlite = loadPeer<typeof Database>('better-sqlite3');
    db = new Sqlite(path);
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // Reading the schema first makes a file that is not a database fail here, with a clear cause.
    db.pragma('schema_version');
    if (path !== ':memory:' && db.pragma('journal_mode = WAL', { simple: true }) !== 'wal') {
      throw new AetherError('config_invalid', `the SQLite file ${path} could not switch to WAL mode`);
    }
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    db.pragma('foreign_keys = ON');
    // A fresh file's schema is written to the WAL first; folding it into the file at once keeps it from taking
    // its room twice on a small disk.
    if (migrate(db) > 0 && path !== ':memory:') db.pragma('wal_checkpoint(TRUNCATE)');
    // SQLite quietly falls back to read-only when it may not write the file; find out now, not on the first
    // publish. Counting opens is a real write that also tells an operator how often the server restarted.
    if (options.countOpen !== false) db.prepare("INSERT INTO counters (name, n) VALUES ('opens', 1) ON CONFLICT (name) DO UPDATE SET n = n + 1").run();
    return db;
  } catch (error) {
    db?.close();
    throw describeOpenError(error, path);
  }
}

/** Applies the migrations this file lacks, each in its own transaction; returns how many it applied. */
function migrate(db: SqliteDatabase): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const newest = Math.max(0, ...applied);
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  if (newest > known) {
    throw new AetherError('config_invalid', `this database was migrated by a newer AetherLink (schema version ${newest}, this one knows up to ${known}); upgrade AetherLink or use another file`);
  }
  let count = 0;
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
    }).immediate();
    count++;
  }
  return count;
}

/**
 * Turns a SQLite error met while opening into a message for the person starting the server.
 * @example throw describeOpenError(err, '/data/aetherlink.db')
 */
export function describeOpenError(error: unknown, path: string): AetherError {
  if (error instanceof AetherError) return error;
  const code = (error as { code?: string }).code ?? '';
  const reason =
    code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') ? `is not a SQLite database or is corrupt; move it aside or point AETHERLINK_DB at another file`
    : code.startsWith('SQLITE_READONLY') || code === 'SQLITE_PERM' || code === 'EROFS' || code === 'EACCES' || code === 'EPERM'
      ? `cannot be written (read-only file, directory or filesystem); AetherLink needs write access to it and to its directory`
    : code.startsWith('SQLITE_CANTOPEN') ? `cannot be opened; check that its directory exists and is writable`
    : code === 'SQLITE_FULL' ? `cannot grow: the disk is full`
    : code === 'SQLITE_BUSY' ? `is locked by another process`
    : `could not be opened (${code || (error as Error).message})`;
  return new AetherError('config_invalid', `the SQLite file ${path} ${reason}`, { cause: error });
}

/**
 * Maps a SQLite error met while serving to an AetherError: a full or failing disk, a lock held too long or a file
 * turned read-only is `unavailable` (503): nothing was written, the caller may retry once an operator has made
 * room. Every SQLite store goes through here (`guarded`, and the event store's group commit).
 * @example try { stmt.run() } catch (e) { throw translateError(e) }
 */
export function translateError(error: unknown): unknown {
  if (error instanceof AetherError) return error;
  const code = (error as { code?: string }).code ?? '';
  const reason =
    code === 'SQLITE_FULL' ? 'the disk is full'
    // Every extended I/O code (WRITE, FSYNC, SHMSIZE, TRUNCATE, …) is the file system refusing a read or write.
    : code.startsWith('SQLITE_IOERR') ? 'the disk refused a read or write'
    : code === 'SQLITE_BUSY' ? 'another connection holds the lock'
    : code.startsWith('SQLITE_READONLY') ? 'its file has become read-only'
    : undefined;
  if (reason === undefined) return error;
  return new AetherError('unavailable', `the SQLite database cannot be written right now: ${reason} (${code})`, { cause: error });
}

/**
 * Runs a synchronous better-sqlite3 call as a store method: its result as a promise, its error translated.
 * @example get: (id) => guarded(() => stmt.get(id))
 */
export function guarded<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(translateError(error));
  }
}
