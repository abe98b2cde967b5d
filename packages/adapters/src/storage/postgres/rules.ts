import { AetherError, newRule, ruleNameTaken, type RuleRecord, type RuleStore } from '@aetherlink/core';
import type { Database } from './pool.js';
import { constraintOf, sqlState } from './errors.js';
import { isoOf, json, timeParam } from './rows.js';

/** A row as pg returns it: the record's fields, with timestamps as Dates. */
type RuleRow = Omit<RuleRecord, 'created_at' | 'updated_at'> & {
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = 'id, name, enabled, spec, state, created_at, updated_at';

const recordOf = (row: RuleRow): RuleRecord => ({
  id: row.id,
  name: row.name,
  enabled: row.enabled,
  spec: row.spec,
  state: row.state ?? null,
  created_at: isoOf(row.created_at),
  updated_at: isoOf(row.updated_at),
});

/** A unique violation becomes the same `conflict` the memory store throws, naming the field. */
function conflictOf(error: unknown, rule: { id?: string; name?: string }): unknown {
  if (sqlState(error) !== '23505') return error;
  if (constraintOf(error) === 'rules_pkey') {
    return new AetherError('conflict', `a rule with id "${rule.id}" already exists`, { errors: [{ field: 'id', message: 'is already taken' }], cause: error });
  }
  return ruleNameTaken(rule.name ?? '');
}

/**
 * Alert rules in PostgreSQL; names are unique (a taken one is `conflict` naming `name`).
 * @example const rules = postgresRuleStore(db)
 */
export function postgresRuleStore(db: Database): RuleStore & { close(): Promise<void> } {
  const rules = db.t('rules');
  return {
    async create(input, now) {
      const rule = newRule(input, now);
      try {
        const { rows } = await db.query<RuleRow>(
          `INSERT INTO ${rules} (id, name, enabled, spec, state, created_at, updated_at)
           VALUES ($1, $2, $3, $4::json, NULL, $5::timestamptz, $5::timestamptz) RETURNING ${COLUMNS}`,
          [rule.id, rule.name, rule.enabled, json(rule.spec), timeParam(rule.created_at, 'created_at')],
        );
        return recordOf(rows[0]!);
      } catch (error) {
        throw conflictOf(error, rule);
      }
    },
    async get(id) {
      const { rows } = await db.query<RuleRow>(`SELECT ${COLUMNS} FROM ${rules} WHERE id = $1`, [id]);
      return rows[0] ? recordOf(rows[0]) : null;
    },
    async list(filter = {}) {
      const enabled = filter.enabled;
      const { rows } = await db.query<RuleRow>(
        `SELECT ${COLUMNS} FROM ${rules}${enabled === undefined ? '' : ' WHERE enabled = $1'} ORDER BY seq`,
        enabled === undefined ? [] : [enabled],
      );
      return rows.map(recordOf);
    },
    async update(id, patch, now) {
      try {
        const { rows } = await db.query<RuleRow>(
          `UPDATE ${rules} SET name = COALESCE($2, name), enabled = COALESCE($3, enabled), spec = COALESCE($4::json, spec),
             updated_at = $5::timestamptz
           WHERE id = $1 RETURNING ${COLUMNS}`,
          [id, patch.name ?? null, patch.enabled ?? null, patch.spec === undefined ? null : json(patch.spec), timeParam(now, 'updated_at')],
        );
        return rows[0] ? recordOf(rows[0]) : null;
      } catch (error) {
        throw conflictOf(error, { id, ...(patch.name !== undefined ? { name: patch.name } : {}) });
      }
    },
    async setState(id, state) {
      const { rowCount } = await db.query(`UPDATE ${rules} SET state = $2::json WHERE id = $1`, [id, state === null ? null : json(state)]);
      return (rowCount ?? 0) > 0;
    },
    async remove(id) {
      const { rowCount } = await db.query(`DELETE FROM ${rules} WHERE id = $1`, [id]);
      return (rowCount ?? 0) > 0;
    },
    async close() {},
  };
}
