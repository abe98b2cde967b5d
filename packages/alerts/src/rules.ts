import { AetherError, collection, fieldErrorsFromZod, validationError, type DocumentStore } from '@aetherlink/core';
import { alertRulesCollection, readRule } from './collections.js';
import { ruleInputSchema, type ParsedRuleInput, type RuleInput } from './schemas.js';
import type { AlertRule } from './types.js';

/** Alert rules: create, replace, enable or disable, remove, list (the `alert_rules` collection). */
export interface RuleBook {
  create(input: RuleInput): Promise<AlertRule>;
  /** Replaces every field of the rule; `ifVersion` makes it a compare-and-set. */
  replace(id: string, input: RuleInput, options?: { ifVersion?: number }): Promise<AlertRule>;
  get(id: string): Promise<AlertRule | null>;
  /** Sorted by id (creation order). */
  list(filter?: { enabled?: boolean; tenant?: string }): Promise<AlertRule[]>;
  setEnabled(id: string, enabled: boolean): Promise<AlertRule>;
  remove(id: string): Promise<boolean>;
  /** Grows with every change to any rule. */
  version(): Promise<number>;
}

/**
 * A rule's input, checked and with defaults; `validation_failed` names each bad field.
 * @example const rule = parseRuleInput({ name: 'spike', event_type: 'autoheal.failed', window_seconds: 300, threshold: 3 })
 */
export function parseRuleInput(input: unknown, where = 'body'): ParsedRuleInput {
  const parsed = ruleInputSchema.safeParse(input);
  if (!parsed.success) throw validationError(fieldErrorsFromZod(parsed.error, { in: where }), 'the rule is invalid');
  return parsed.data;
}

/**
 * An error for a rule id that names no rule.
 * @example throw ruleNotFound(id)
 */
export const ruleNotFound = (id: string) => new AetherError('not_found', `no alert rule has the id "${id}"`, { details: { id } });

const stored = (rule: ParsedRuleInput) => {
  const { name, enabled, ...spec } = rule;
  return { name, enabled, spec, state: null };
};

/**
 * The rule book over a DocumentStore. Names are unique (a taken one is `conflict` naming `name`).
 * @example const rules = createRuleBook({ documents: stores.documents }); await rules.create({ name: 'spike', window_seconds: 300, threshold: 3 })
 */
export function createRuleBook(options: { documents: DocumentStore }): RuleBook {
  const rules = collection(options.documents, alertRulesCollection);
  const self: RuleBook = {
    async create(input) {
      return readRule(await rules.create({ data: stored(parseRuleInput(input)) }));
    },
    async replace(id, input, opts = {}) {
      const data = stored(parseRuleInput(input));
      const current = await rules.get(id);
      if (!current) throw ruleNotFound(id);
      return readRule(await rules.put({ id, data }, { ifVersion: opts.ifVersion ?? current.version }));
    },
    async get(id) {
      const doc = await rules.get(id);
      return doc ? readRule(doc) : null;
    },
    async list(filter = {}) {
      const docs = await rules.list(filter.enabled === undefined ? {} : { where: { enabled: filter.enabled } });
      const all = docs.map(readRule);
      return filter.tenant === undefined ? all : all.filter((r) => r.tenant === filter.tenant);
    },
    async setEnabled(id, enabled) {
      const doc = await rules.update(id, (data) => ({ ...data, enabled }));
      if (!doc) throw ruleNotFound(id);
      return readRule(doc);
    },
    remove: (id) => rules.remove(id),
    version: () => rules.version(),
  };
  return self;
}
