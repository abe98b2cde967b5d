import { cloneRecord, definedOnly, upsertOver } from '../shared.js';
import type { RegistryFilter, RegistryStore, ServiceRecord } from '../types.js';

/**
 * Services in memory.
 * @example const registry = createRegistry({ store: memoryRegistryStore(), bus })
 */
export function memoryRegistryStore(): RegistryStore {
  const services = new Map<string, ServiceRecord>();
  let version = 0;
  const copy = (r: ServiceRecord) => cloneRecord(r);
  return {
    async upsert(record) {
      const existing = services.get(record.name);
      const merged = upsertOver(existing, copy(record));
      services.set(record.name, merged);
      version++;
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
    async patch(name, patch) {
      const r = services.get(name);
      if (!r) return null;
      const { name: _n, registered_at: _r, ...rest } = definedOnly(patch as Partial<ServiceRecord>);
      const next = { ...r, ...cloneRecord(rest) };
      services.set(name, next);
      version++;
      return copy(next);
    },
    async remove(name) {
      const removed = services.delete(name);
      if (removed) version++;
      return removed;
    },
    async version() {
      return version;
    },
  };
}
