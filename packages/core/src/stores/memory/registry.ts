import { cloneRecord, patchOver, revisionMatches, upsertOver } from '../shared.js';
import type { RegistryFilter, RegistryStore, ServiceRecord } from '../types.js';

/**
 * Services in memory. A record's revision is the store's version after its write, so a name never sees a
 * revision again, even after a removal.
 * @example const registry = createRegistry({ store: memoryRegistryStore(), bus })
 */
export function memoryRegistryStore(): RegistryStore {
  const services = new Map<string, ServiceRecord>();
  let version = 0;
  const copy = (r: ServiceRecord) => cloneRecord(r);
  return {
    async upsert(record) {
      const existing = services.get(record.name);
      const merged = upsertOver(existing, cloneRecord(record), ++version);
      services.set(record.name, merged);
      return { record: copy(merged), created: !existing };
    },
    async get(name) {
      const r = services.get(name);
      return r ? copy(r) : null;
    },
    async list(filter: RegistryFilter = {}) {
      return [...services.values()]
        .filter((r) => (filter.tag === undefined || r.tags.includes(filter.tag)) && (filter.status === undefined || r.status === filter.status))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map(copy);
    },
    async patch(name, patch, condition) {
      const r = services.get(name);
      if (!r || !revisionMatches(r, condition)) return null;
      const next = patchOver(r, cloneRecord(patch), ++version);
      services.set(name, next);
      return copy(next);
    },
    async remove(name, condition) {
      const r = services.get(name);
      if (!r || !revisionMatches(r, condition)) return false;
      services.delete(name);
      version++;
      return true;
    },
    async version() {
      return version;
    },
  };
}
