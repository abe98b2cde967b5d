import type Database from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

/** Prepared statements by SQL text, least recently used dropped past the limit. */
export interface StatementCache {
  (sql: string): Database.Statement;
  /** Statements held now; never more than the limit. */
  size(): number;
}

/** How many statements a cache holds by default: far more shapes than a store's own queries, bounded all the same. */
export const STATEMENT_CACHE_SIZE = 256;

/**
 * Prepared statements by SQL text, prepared once: queries whose shape depends on the filters given are cached
 * per shape. The cache is bounded (least recently used first out), so callers who vary the shape endlessly
 * cannot grow the process's memory with it.
 * @example const stmt = statementCache(db); stmt('SELECT 1').get()
 */
export function statementCache(db: SqliteDatabase, max = STATEMENT_CACHE_SIZE): StatementCache {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const cache = new Map<string, Database.Statement>();
  const get = (sql: string) => {
    let stmt = cache.get(sql);
    if (stmt) {
      cache.delete(sql);
    } else {
      stmt = db.prepare(sql);
      if (cache.size >= max) cache.delete(cache.keys().next().value!);
    }
    cache.set(sql, stmt);
    return stmt;
  };
  return Object.assign(get, { size: () => cache.size });
}

/** JSON text → value; null stays null. */
export const parseJson = <T>(text: string | null): T => (text === null ? (null as T) : (JSON.parse(text) as T));
