/** A value read from a JSON document by path, or the fact that nothing is there. */
export type JsonPathResult = { found: true; value: unknown } | { found: false };

const SEGMENT = /([^.[\]]+)|\[(\d+)\]/g;

/**
 * Reads `a.b[0].c` (or `a.b.0.c`) from parsed JSON. Pure.
 * @example readJsonPath({ checks: [{ ok: true }] }, 'checks[0].ok') // { found: true, value: true }
 */
export function readJsonPath(document: unknown, path: string): JsonPathResult {
  let current: unknown = document;
  for (const match of path.matchAll(SEGMENT)) {
    const key = match[1] ?? match[2]!;
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(key) || Number(key) >= current.length) return { found: false };
      current = current[Number(key)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}
