import { createHash } from 'node:crypto';

const hash = (text: string, length: number) => createHash('sha256').update(text).digest('base64url').slice(0, length);
const PLAIN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The `alert_states` document id of a rule's group: the rule id (hashed when long or unusual) and a hash of the
 * group's labels, so ids and the episode and event ids built on them stay short.
 * @example alertIdOf(rule.id, '{"source":"billing"}') // '0193…~Q2x9…'
 */
export function alertIdOf(ruleId: string, groupKey: string): string {
  const rule = PLAIN.test(ruleId) ? ruleId : `h${hash(ruleId, 22)}`;
  return `${rule}~${groupKey === '{}' ? 'all' : hash(groupKey, 12)}`;
}
