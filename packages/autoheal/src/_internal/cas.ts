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
    if (current && JSON.stringify(current.data) === JSON.stringify(next)) return current;
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
  if (read && JSON.stringify(read.data) === JSON.stringify(next)) return read;
  try {
    return await col.put({ id, data: next }, { ifVersion: read?.version ?? 0 });
  } catch (error) {
    if (isVersionConflict(error)) return null;
    throw error;
  }
}
