import { checkPurgeRequest, purgeCount } from '../purge.js';
import type { HealHistoryStore, HealOutcome, HealRecord, HealTally } from '../types.js';

/**
 * Auto-heal history in memory: the newest `maxRecords` are listed; tallies and the count cover every record appended.
 * @example const heal = memoryHealHistoryStore({ maxRecords: 50 })
 */
export function memoryHealHistoryStore(options: { maxRecords?: number } = {}): HealHistoryStore {
  const max = options.maxRecords ?? 1000;
  let records: HealRecord[] = [];
  let total = 0;
  const tallies = new Map<string, HealTally>();
  const copy = (r: HealRecord): HealRecord => ({ ...r, probe: r.probe ? { ...r.probe } : null });
  return {
    async append(record) {
      records.push(copy(record));
      total++;
      const key = `${record.outcome}\u0000${record.service}`;
      const tally = tallies.get(key) ?? { service: record.service, outcome: record.outcome as HealOutcome, count: 0 };
      tally.count++;
      tallies.set(key, tally);
      if (records.length > max * 2) records = records.slice(-max);
    },
    async list({ limit, service, outcome }) {
      const out: HealRecord[] = [];
      const start = Math.max(0, records.length - max);
      for (let i = records.length - 1; i >= start && out.length < limit; i--) {
        const r = records[i]!;
        if ((service === undefined || r.service === service) && (outcome === undefined || r.outcome === outcome)) out.push(copy(r));
      }
      return out;
    },
    async count() {
      return total;
    },
    async tally() {
      return [...tallies.values()].map((t) => ({ ...t }));
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
