import { isVersionConflict, type Collection, type StoredDocument } from '@aetherlink/core';

/**
 * Compare-and-set on one document: `change` sees the stored data (or null when there is none) and returns the
 * new data, or null to write nothing. Retried on a version conflict; resolves with what was written, or null.
 * @example await casUpdate(services, 'api', (s) => s && finishHeal(s, id, ...)?.state)
 */
export async function casUpdate<T extends object>(col: Collection<T>, id: string, change: (data: T | null) => T | null | undefined, attempts = 10): Promise<StoredDocument<T> | null> {
  for (let attempt = 1; ; attempt++) {
    const current = await col.get(id);
    const next = change(current?.data ?? null);
    if (!next) return null;
    if (current && sameJson(current.data, next)) return current;
    try {
      return await col.put({ id, data: next }, { ifVersion: current?.version ?? 0 });
    } catch (error) {
      if (!isVersionConflict(error) || attempt >= attempts) throw error;
    }
  }
}

/**
 * Writes `next` only if it differs from what was read and nobody wrote since: null on a conflict (the caller
 * re-reads next round), the stored document otherwise.
 * @example await writeIfChanged(services, doc, next)
 */
export async function writeIfChanged<T extends object>(col: Collection<T>, id: string, read: StoredDocument<T> | null, next: T): Promise<StoredDocument<T> | null> {
  if (read && sameJson(read.data, next)) return read;
  try {
    return await col.put({ id, data: next }, { ifVersion: read?.version ?? 0 });
  } catch (error) {
    if (isVersionConflict(error)) return null;
    throw error;
  }
}

/**
 * Deep equality of two JSON values, without serializing them (a round compares every service's state).
 * @example sameJson({ a: [1] }, { a: [1] }) // true
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
