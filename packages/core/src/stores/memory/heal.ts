import { checkPurgeRequest, purgeCount } from '../purge.js';
import { healStatsFrom, isHealAttempt } from '../shared.js';
import type { HealHistoryStore, HealRecord } from '../types.js';

/**
 * Auto-heal history in memory: the newest `maxRecords` are listed; stats count every record appended.
 * @example const heal = memoryHealHistoryStore({ maxRecords: 50 })
 */
export function memoryHealHistoryStore(options: { maxRecords?: number } = {}): HealHistoryStore {
  const max = options.maxRecords ?? 1000;
  let records: HealRecord[] = [];
  let total = 0;
  let successful = 0;
  let failed = 0;
  const perService = new Map<string, number>();
  return {
    async append(record) {
      records.push({ ...record });
      total++;
      if (record.outcome === 'succeeded') successful++;
      if (record.outcome === 'failed') failed++;
      if (isHealAttempt(record)) perService.set(record.service, (perService.get(record.service) ?? 0) + 1);
      if (records.length > max * 2) records = records.slice(-max);
    },
    async list({ limit, service }) {
      const out: HealRecord[] = [];
      const start = Math.max(0, records.length - max);
      for (let i = records.length - 1; i >= start && out.length < limit; i--) {
        if (service === undefined || records[i]!.service === service) out.push({ ...records[i]! });
      }
      return out;
    },
    async count() {
      return total;
    },
    async stats() {
      return healStatsFrom(successful, failed, perService);
    },
    async purge(request) {
      const checked = checkPurgeRequest(request);
      const start = Math.max(0, records.length - max);
      const times = records.slice(start, start + checked.limit).map((r) => Date.parse(r.ts));
      const n = purgeCount(times, records.length - start, checked);
      if (n > 0) records = records.slice(start + n);
      return n;
    },
  };
}
