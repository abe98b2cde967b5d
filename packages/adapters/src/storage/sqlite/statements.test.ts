import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { statementCache } from './statements.js';

const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
});
const memoryDb = () => {
  const db = new Database(':memory:');
  dbs.push(db);
  return db;
};

describe('statementCache', () => {
  it('prepares each SQL text once and hands the same statement back', () => {
    const stmt = statementCache(memoryDb());
    const a = stmt('SELECT 1 AS n');
    expect(stmt('SELECT 1 AS n')).toBe(a);
    expect(a.get()).toEqual({ n: 1 });
    expect(stmt.size()).toBe(1);
  });

  it('never holds more than its bound, dropping the least recently used statement first', () => {
    const stmt = statementCache(memoryDb(), 8);
    const hot = stmt('SELECT 0');
    const cold = stmt('SELECT -1');
    for (let i = 1; i <= 500; i++) {
      stmt(`SELECT ${i}`);
      expect(stmt('SELECT 0')).toBe(hot); // used after every other statement: never the least recent
      expect(stmt.size()).toBeLessThanOrEqual(8);
    }
    expect(stmt.size()).toBe(8);
    // The cold one was dropped long ago; asking again prepares a new statement that works the same.
    const again = stmt('SELECT -1');
    expect(again).not.toBe(cold);
    expect(again.get()).toEqual({ '-1': -1 });
  });
});
