import type { Logger, RegistryStore, ServiceRecord } from '@aetherlink/core';

/** What a step answers when its conditional write found the record changed since it was read. */
export const CHANGED: unique symbol = Symbol('changed');

// Losing several races in a row on one record means it is being written constantly (heartbeats); the next
// pass decides again, so giving up loses nothing.
const MAX_TRIES = 5;

/**
 * Read, decide, write on the revision read: runs `step` on a fresh read of `name` and again on a fresh read
 * each time it answers `CHANGED` (its conditional write lost to another writer, here or in another instance).
 * Answers `CHANGED` itself only after MAX_TRIES lost races.
 * @example await onFreshRead(store, 'api', log, 'lease expiry', async (r) => (await store.remove('api', { ifRevision: r!.revision })) || CHANGED)
 */
export async function onFreshRead<T>(
  store: RegistryStore,
  name: string,
  log: Logger,
  what: string,
  step: (record: ServiceRecord | null) => Promise<T | typeof CHANGED>,
): Promise<T | typeof CHANGED> {
  for (let tries = 1; ; tries++) {
    const result = await step(await store.get(name));
    if (result !== CHANGED) return result;
    if (tries >= MAX_TRIES) {
      log.warn({ service: name, tries }, `${what}: the service kept changing under it; left for the next pass`);
      return CHANGED;
    }
    log.debug({ service: name, tries }, `${what}: another writer changed the service first; deciding again on a fresh read`);
  }
}
