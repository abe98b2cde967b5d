import type { FieldError } from '@aetherlink/core';
import type { RoutingStrategy } from './types.js';

/**
 * Expands an order with each provider's fallbacks (depth first, each provider once) and reports every
 * problem at once: unknown providers, providers listed twice, and fallback cycles.
 * @example buildChain(['claude', 'ollama'], { claude: ['openai'] }, known, 'order') // { chain: ['claude', 'openai', 'ollama'], problems: [] }
 */
export function buildChain(
  order: readonly string[],
  fallbacks: Readonly<Record<string, readonly string[]>>,
  known: ReadonlySet<string>,
  field: string,
): { chain: string[]; problems: FieldError[] } {
  const problems: FieldError[] = [];
  const seen = new Set<string>();
  order.forEach((name, i) => {
    if (!known.has(name)) problems.push({ field: `${field}.${i}`, message: `unknown provider "${name}"; known: ${[...known].join(', ') || 'none'}` });
    else if (seen.has(name)) problems.push({ field: `${field}.${i}`, message: `"${name}" is listed twice` });
    seen.add(name);
  });
  const chain: string[] = [];
  const placed = new Set<string>();
  const visit = (name: string) => {
    if (placed.has(name) || !known.has(name)) return;
    placed.add(name);
    chain.push(name);
    for (const next of fallbacks[name] ?? []) visit(next);
  };
  for (const name of order) visit(name);
  return { chain, problems };
}

/**
 * Checks a fallback graph: every name known, and no provider that falls back to itself through others.
 * @example findFallbackProblems({ a: ['b'], b: ['a'] }, known) // [{ field: 'fallbacks.a', message: 'cycle a → b → a' }]
 */
export function findFallbackProblems(fallbacks: Readonly<Record<string, readonly string[]>>, known: ReadonlySet<string>): FieldError[] {
  const problems: FieldError[] = [];
  for (const [from, targets] of Object.entries(fallbacks)) {
    if (!known.has(from)) problems.push({ field: `fallbacks.${from}`, message: `unknown provider "${from}"` });
    targets.forEach((to, i) => {
      if (!known.has(to)) problems.push({ field: `fallbacks.${from}.${i}`, message: `unknown provider "${to}"` });
    });
  }
  const reported = new Set<string>();
  const walk = (name: string, path: string[]) => {
    const at = path.indexOf(name);
    if (at !== -1) {
      const cycle = [...path.slice(at), name];
      const key = [...cycle.slice(0, -1)].sort().join('|');
      if (!reported.has(key)) {
        reported.add(key);
        problems.push({ field: `fallbacks.${cycle[0]}`, message: `cycle ${cycle.join(' → ')}` });
      }
      return;
    }
    for (const next of fallbacks[name] ?? []) walk(next, [...path, name]);
  };
  for (const name of Object.keys(fallbacks)) walk(name, []);
  return problems;
}

export interface OrderSnapshot {
  /** Recent median latency of a provider; null before it has answered. */
  p50(name: string): number | null;
  weight(name: string): number;
  /** 0 ≤ x < 1. */
  random: number;
}

/**
 * Orders a chain for one call. `order` keeps it; `latency` puts the lowest recent p50 first (providers with no
 * answers yet keep their place after those); `weighted` draws the first provider by weight, the rest in order.
 * @example orderChain(['a', 'b'], 'latency', { p50: (n) => (n === 'b' ? 10 : 90), weight: () => 1, random: 0 }) // ['b', 'a']
 */
export function orderChain(chain: readonly string[], strategy: RoutingStrategy, snapshot: OrderSnapshot): readonly string[] {
  if (chain.length < 2 || strategy === 'order') return chain;
  if (strategy === 'latency') {
    return chain
      .map((name, index) => ({ name, index, p50: snapshot.p50(name) ?? Number.POSITIVE_INFINITY }))
      .sort((a, b) => a.p50 - b.p50 || a.index - b.index)
      .map((e) => e.name);
  }
  const weights = chain.map((name) => Math.max(0, snapshot.weight(name)));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return chain;
  let pick = snapshot.random * total;
  let index = weights.findIndex((w) => (pick -= w) < 0);
  if (index === -1) index = weights.length - 1;
  return [chain[index]!, ...chain.filter((_, i) => i !== index)];
}
