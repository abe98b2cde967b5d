import type { AuditRecord } from '../../audit/audit-log.js';
import { checkPurgeRequest, purgeCount } from '../purge.js';
import { auditStatsFrom, cloneRecord, timeParam } from '../shared.js';
import type { AuditQuery, AuditStore, StoredAuditRecord } from '../types.js';

/**
 * Audit records in memory: the newest `maxRecords` are queryable, counts cover everything appended.
 * @example const audit = createAuditLog({ service: 'x', store: memoryAuditStore() })
 */
export function memoryAuditStore(options: { maxRecords?: number } = {}): AuditStore {
  const max = options.maxRecords ?? 10_000;
  let records: StoredAuditRecord[] = [];
  let seq = 0;
  const byPath = new Map<string, number>();
  const byStatus = new Map<number, number>();
  return {
    async append(batch: readonly AuditRecord[]) {
      for (const r of batch) {
        records.push({ ...r, roles: [...r.roles], seq: ++seq });
        byPath.set(r.path, (byPath.get(r.path) ?? 0) + 1);
        byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      }
      if (records.length > max + Math.max(1, max >> 3)) records = records.slice(-max);
    },
    async query(q: AuditQuery) {
      const since = q.since === undefined ? undefined : Date.parse(timeParam(q.since, 'since'));
      const out: StoredAuditRecord[] = [];
      for (let i = records.length - 1; i >= 0 && out.length < q.limit; i--) {
        const r = records[i]!;
        if (i < records.length - max) break;
        if (q.before !== undefined && r.seq >= q.before) continue;
        if (q.path !== undefined && r.path !== q.path) continue;
        if (q.status !== undefined && r.status !== q.status) continue;
        if (q.methods !== undefined && !q.methods.includes(r.method)) continue;
        if (q.paths !== undefined && !q.paths.includes(r.path)) continue;
        if (since !== undefined && Date.parse(r.ts) < since) continue;
        out.push(cloneRecord(r));
      }
      return out;
    },
    async stats() {
      return auditStatsFrom(byPath, byStatus);
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
