import { AetherError } from '../../errors.js';
import { cloneRecord, newRule, ruleNameTaken } from '../shared.js';
import type { RuleRecord, RuleStore } from '../types.js';

/**
 * Alert rules in memory.
 * @example const rules = memoryRuleStore()
 */
export function memoryRuleStore(): RuleStore {
  const rules = new Map<string, RuleRecord>();
  const nameTaken = (name: string, except?: string) => [...rules.values()].some((r) => r.name === name && r.id !== except);
  const copy = (r: RuleRecord) => cloneRecord(r);
  return {
    async create(input, now) {
      const rule = newRule(cloneRecord(input), now);
      if (rules.has(rule.id)) throw new AetherError('conflict', `a rule with id "${rule.id}" already exists`, { errors: [{ field: 'id', message: 'is already taken' }] });
      if (nameTaken(rule.name)) throw ruleNameTaken(rule.name);
      rules.set(rule.id, rule);
      return copy(rule);
    },
    async get(id) {
      const r = rules.get(id);
      return r ? copy(r) : null;
    },
    async list(filter = {}) {
      return [...rules.values()].filter((r) => filter.enabled === undefined || r.enabled === filter.enabled).map(copy);
    },
    async update(id, patch, now) {
      const r = rules.get(id);
      if (!r) return null;
      if (patch.name !== undefined && patch.name !== r.name && nameTaken(patch.name, id)) throw ruleNameTaken(patch.name);
      const next: RuleRecord = {
        ...r,
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
        ...(patch.spec !== undefined ? { spec: cloneRecord(patch.spec) } : {}),
        updated_at: now,
      };
      rules.set(id, next);
      return copy(next);
    },
    async setState(id, state) {
      const r = rules.get(id);
      if (!r) return false;
      r.state = state === null ? null : cloneRecord(state);
      return true;
    },
    async remove(id) {
      return rules.delete(id);
    },
  };
}
