import type { Clock } from '../../clock.js';
import type { Stores } from '../types.js';
import { memoryAuditStore } from './audit.js';
import { memoryDeliveryStore } from './deliveries.js';
import { memoryEventStore, type MemoryEventStoreOptions } from './events.js';
import { memoryHealHistoryStore } from './heal.js';
import { memoryRegistryStore } from './registry.js';
import { memoryDocumentStore } from './documents.js';

export { memoryAuditStore, memoryDeliveryStore, memoryEventStore, memoryHealHistoryStore, memoryRegistryStore, memoryDocumentStore };
export type { MemoryEventStoreOptions };

/**
 * Every store in memory: the embedded default for one process that need not survive restarts.
 * @example const stores = memoryStores()
 */
export function memoryStores(options: { events?: MemoryEventStoreOptions; clock?: Clock } = {}): Stores {
  return {
    kind: 'memory',
    events: memoryEventStore(options.events),
    audit: memoryAuditStore(),
    registry: memoryRegistryStore(),
    documents: memoryDocumentStore(options.clock ? { clock: options.clock } : {}),
    deliveries: memoryDeliveryStore(),
    heal: memoryHealHistoryStore(),
    async close() {},
  };
}
