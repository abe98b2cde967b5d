import { AetherError, definedOnly, newRule, ruleNameTaken, type RuleRecord, type RuleStore } from '@aetherlink/core';
import { guarded, translateError, type SqliteDatabase } from './database.js';
import { parseJson, statementCache } from './statements.js';

interface RuleRow {
  id: string;
  name: string;
  enabled: number;
  spec: string;
  state: string | null;
  created_at: string;
  updated_at: string;
}

const toRule = (r: RuleRow): RuleRecord => ({
  id: r.id,
  name: r.name,
  enabled: r.enabled === 1,
  spec: JSON.parse(r.spec),
  state: parseJson(r.state),
  created_at: r.created_at,
  updated_at: r.updated_at,
});

function uniqueViolation(error: unknown, name: string, id: string): unknown {
  const message = (error as Error).message ?? '';
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    if (message.includes('rules.name')) return ruleNameTaken(name);
    if (message.includes('rules.id')) return new AetherError('conflict', `a rule with id "${id}" already exists`, { errors: [{ field: 'id', message: 'is already taken' }] });
  }
  return translateError(error);
}

/**
 * Alert rules in SQLite.
 * @example const rules = sqliteRuleStore(db)
 */
export function sqliteRuleStore(db: SqliteDatabase): RuleStore {
  const stmt = statementCache(db);
  const get = (id: string) => {
    const row = stmt('SELECT * FROM rules WHERE id = ?').get(id) as RuleRow | undefined;
    return row ? toRule(row) : null;
  };
  return {
    async create(input, now) {
      const rule = newRule(input, now);
      try {
        stmt('INSERT INTO rules (id, name, enabled, spec, state, created_at, updated_at, ord) VALUES (?, ?, ?, ?, NULL, ?, ?, (SELECT coalesce(max(ord), 0) + 1 FROM rules))').run(
          rule.id, rule.name, rule.enabled ? 1 : 0, JSON.stringify(rule.spec), rule.created_at, rule.updated_at,
        );
      } catch (error) {
        throw uniqueViolation(error, rule.name, rule.id);
      }
      return rule;
    },
    get: (id) => guarded(() => get(id)),
    list: (filter = {}) =>
      guarded(() => {
        const rows = filter.enabled === undefined
          ? (stmt('SELECT * FROM rules ORDER BY ord').all() as RuleRow[])
          : (stmt('SELECT * FROM rules WHERE enabled = ? ORDER BY ord').all(filter.enabled ? 1 : 0) as RuleRow[]);
        return rows.map(toRule);
      }),
    async update(id, patch, now) {
      const current = await guarded(() => get(id));
      if (!current) return null;
      const next = { ...current, ...definedOnly(patch), updated_at: now };
      try {
        stmt('UPDATE rules SET name = ?, enabled = ?, spec = ?, updated_at = ? WHERE id = ?').run(next.name, next.enabled ? 1 : 0, JSON.stringify(next.spec), now, id);
      } catch (error) {
        throw uniqueViolation(error, next.name, id);
      }
      return get(id);
    },
    setState: (id, state) => guarded(() => stmt('UPDATE rules SET state = ? WHERE id = ?').run(state === null ? null : JSON.stringify(state), id).changes > 0),
    remove: (id) => guarded(() => stmt('DELETE FROM rules WHERE id = ?').run(id).changes > 0),
  };
}
