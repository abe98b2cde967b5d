import { afterOutcome, attemptOf, cloneRecord, decodeDeliveryCursor, deliveryIdTaken, emptyDeliveryCounts, encodeDeliveryCursor, newDelivery, replayOf, timeParam } from '../shared.js';
import { checkPurgeRequest, isPurgeableDelivery, purgeCount } from '../purge.js';
import type { DeliveryAttempt, DeliveryRecord, DeliveryStatus, DeliveryStore, EndpointAttempt } from '../types.js';

const newerFirst = (a: DeliveryRecord, b: DeliveryRecord) =>
  a.created_at === b.created_at ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.created_at < b.created_at ? 1 : -1;

const listIn = <T>(map: Map<string, T[]>, key: string): T[] => {
  let list = map.get(key);
  if (!list) map.set(key, (list = []));
  return list;
};

const waiting = (r: DeliveryRecord) => r.status === 'pending' || r.status === 'retrying';

/**
 * The delivery queue in memory (one process; nothing survives a restart).
 * @example const queue = memoryDeliveryStore()
 */
export function memoryDeliveryStore(): DeliveryStore {
  const items = new Map<string, DeliveryRecord>();
  const log = new Map<string, DeliveryAttempt[]>();
  // Attempts by endpoint, oldest first, for health: appended as they are recorded.
  const byEndpoint = new Map<string, EndpointAttempt[]>();
  const copy = (r: DeliveryRecord) => cloneRecord(r);
  const isDue = (r: DeliveryRecord, now: number) =>
    (waiting(r) && r.next_attempt_at !== null && Date.parse(r.next_attempt_at) <= now) ||
    (r.status === 'delivering' && r.leased_until !== null && Date.parse(r.leased_until) < now);
  const dueAt = (r: DeliveryRecord) => Date.parse((r.status === 'delivering' ? r.leased_until : r.next_attempt_at) ?? r.created_at);
  // Retention takes a delivery with its attempts, as the SQL stores' ON DELETE CASCADE does.
  const remove = (records: readonly DeliveryRecord[]) => {
    const gone = new Set(records.map((r) => r.id));
    const endpoints = new Set<string>();
    for (const r of records) {
      items.delete(r.id);
      log.delete(r.id);
      if (r.endpoint_id !== null) endpoints.add(r.endpoint_id);
    }
    for (const id of endpoints) {
      const list = byEndpoint.get(id);
      if (list) byEndpoint.set(id, list.filter((a) => !gone.has(a.delivery_id)));
    }
  };

  return {
    async enqueue(input, now) {
      const record = newDelivery(cloneRecord(input), now);
      if (items.has(record.id)) throw deliveryIdTaken(record.id);
      items.set(record.id, record);
      return copy(record);
    },
    async lease({ owner, now, leaseMs, limit }) {
      const due = [...items.values()].filter((r) => isDue(r, now)).sort((a, b) => dueAt(a) - dueAt(b) || (a.id < b.id ? -1 : 1));
      const until = new Date(now + leaseMs).toISOString();
      return due.slice(0, Math.max(0, limit)).map((r) => {
        Object.assign(r, { status: 'delivering' as DeliveryStatus, lease_owner: owner, leased_until: until, updated_at: new Date(now).toISOString() });
        return copy(r);
      });
    },
    async settle(owner, outcomes) {
      return outcomes.map((outcome) => {
        const r = items.get(outcome.id);
        if (!r || r.status !== 'delivering' || r.lease_owner !== owner) return false;
        Object.assign(r, afterOutcome(r, outcome));
        const attempt = attemptOf(outcome);
        if (attempt) {
          listIn(log, r.id).push({ ...attempt });
          if (r.endpoint_id !== null) listIn(byEndpoint, r.endpoint_id).push({ ...attempt, delivery_id: r.id });
        }
        return true;
      });
    },
    async cancel({ ids, endpoint_id, reason, now }) {
      const only = ids === undefined ? undefined : new Set(ids);
      let n = 0;
      for (const r of items.values()) {
        if (!waiting(r) || (only && !only.has(r.id)) || (endpoint_id !== undefined && r.endpoint_id !== endpoint_id)) continue;
        Object.assign(r, afterOutcome(r, { id: r.id, outcome: 'cancelled', at: now, reason }));
        n++;
      }
      return n;
    },
    async releaseExpired(now) {
      let n = 0;
      for (const r of items.values()) {
        if (r.status === 'delivering' && r.leased_until !== null && Date.parse(r.leased_until) < now) {
          Object.assign(r, afterOutcome(r, { id: r.id, outcome: 'released', at: now, retryAt: now }));
          n++;
        }
      }
      return n;
    },
    async get(id) {
      const r = items.get(id);
      return r ? { ...copy(r), attempt_log: cloneRecord(log.get(id) ?? []) } : null;
    },
    async history(q) {
      const statuses = q.status === undefined ? undefined : new Set(typeof q.status === 'string' ? [q.status] : q.status);
      const since = q.since === undefined ? undefined : Date.parse(timeParam(q.since, 'since'));
      const after = q.cursor === undefined ? undefined : decodeDeliveryCursor(q.cursor);
      const only = q.ids === undefined ? undefined : new Set(q.ids);
      const rows = [...items.values()]
        .filter((r) => !statuses || statuses.has(r.status))
        .filter((r) => since === undefined || Date.parse(r.created_at) >= since)
        .filter((r) => q.endpoint === undefined || r.endpoint === q.endpoint)
        .filter((r) => q.endpoint_id === undefined || r.endpoint_id === q.endpoint_id)
        .filter((r) => q.tenantid === undefined || r.tenantid === q.tenantid)
        .filter((r) => !only || only.has(r.id))
        .filter((r) => !after || r.created_at < after.created_at || (r.created_at === after.created_at && r.id < after.id))
        .sort(newerFirst);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { deliveries: page.map(copy), next_cursor: rows.length > q.limit && last ? encodeDeliveryCursor(last) : null };
    },
    async attempts({ endpoint_id, limit }) {
      const list = byEndpoint.get(endpoint_id) ?? [];
      return cloneRecord(list.slice(Math.max(0, list.length - limit)).reverse());
    },
    async replay(ids, now) {
      const replayed: DeliveryRecord[] = [];
      const missing: string[] = [];
      for (const id of ids) {
        const original = items.get(id);
        if (!original) {
          missing.push(id);
          continue;
        }
        const copyOf = replayOf(original, now);
        items.set(copyOf.id, copyOf);
        replayed.push(copy(copyOf));
      }
      return { replayed, missing };
    },
    async stats(now) {
      const by = emptyDeliveryCounts();
      let due = 0;
      let oldest: string | null = null;
      let oldestDue: string | null = null;
      for (const r of items.values()) {
        by[r.status]++;
        if (waiting(r) && r.next_attempt_at !== null && Date.parse(r.next_attempt_at) <= now) {
          due++;
          if (oldestDue === null || r.next_attempt_at < oldestDue) oldestDue = r.next_attempt_at;
        }
        if ((waiting(r) || r.status === 'delivering') && (oldest === null || r.created_at < oldest)) oldest = r.created_at;
      }
      return { total: items.size, by_status: by, due, oldest_pending_at: oldest, oldest_due_at: oldestDue };
    },
    // Retention (separate from the queue's lifecycle above).
    async purgeFinished(request) {
      const checked = checkPurgeRequest(request);
      const replayed = new Set([...items.values()].flatMap((r) => (r.replay_of === null ? [] : [r.replay_of])));
      const done = [...items.values()].filter((r) => isPurgeableDelivery(r, replayed)).sort((a, b) => -newerFirst(a, b));
      const n = purgeCount(done.slice(0, checked.limit).map((r) => Date.parse(r.created_at)), done.length, checked);
      remove(done.slice(0, n));
      return n;
    },
    async purgeDeadLetters(request) {
      const checked = checkPurgeRequest(request);
      const only = request.ids === undefined ? undefined : new Set(request.ids);
      const dead = [...items.values()]
        .filter((r) => r.status === 'dead_letter' && (!only || only.has(r.id)))
        .filter((r) => checked.olderThanMs === undefined || Date.parse(r.created_at) < checked.olderThanMs)
        .sort((a, b) => -newerFirst(a, b))
        .slice(0, checked.limit);
      remove(dead);
      return dead.length;
    },
  };
}
