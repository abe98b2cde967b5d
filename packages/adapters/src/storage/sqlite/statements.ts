import type Database from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

/**
 * Prepared statements by SQL text, prepared once: queries whose shape depends on the filters given are cached
 * per shape.
 * @example const stmt = cache(db)('SELECT 1')
 */
export function statementCache(db: SqliteDatabase): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

/** JSON text → value; null stays null. */
export const parseJson = <T>(text: string | null): T => (text === null ? (null as T) : (JSON.parse(text) as T));
