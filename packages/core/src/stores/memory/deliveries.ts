import { afterAttempt, cloneRecord, decodeDeliveryCursor, deliveryIdTaken, emptyDeliveryCounts, encodeDeliveryCursor, newDelivery, replayOf, timeParam } from '../shared.js';
import { checkPurgeRequest, isPurgeableDelivery, purgeCount } from '../purge.js';
import type { DeliveryAttempt, DeliveryRecord, DeliveryStatus, DeliveryStore } from '../types.js';

const newerFirst = (a: DeliveryRecord, b: DeliveryRecord) =>
  a.created_at === b.created_at ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.created_at < b.created_at ? 1 : -1;

/**
 * The delivery queue in memory (one process; nothing survives a restart).
 * @example const queue = memoryDeliveryStore()
 */
export function memoryDeliveryStore(): DeliveryStore {
  const items = new Map<string, DeliveryRecord>();
  const log = new Map<string, DeliveryAttempt[]>();
  const copy = (r: DeliveryRecord) => cloneRecord(r);
  const isDue = (r: DeliveryRecord, now: number) =>
    ((r.status === 'pending' || r.status === 'failed') && r.next_attempt_at !== null && Date.parse(r.next_attempt_at) <= now) ||
    (r.status === 'leased' && r.leased_until !== null && Date.parse(r.leased_until) < now);
  const dueAt = (r: DeliveryRecord) => Date.parse((r.status === 'leased' ? r.leased_until : r.next_attempt_at) ?? r.created_at);
  const held = (id: string, owner: string) => {
    const r = items.get(id);
    return r && r.status === 'leased' && r.lease_owner === owner ? r : undefined;
  };
  const remove = (id: string) => {
    items.delete(id);
    log.delete(id);
  };
  const finish = (id: string, owner: string, attempt: DeliveryAttempt, outcome: 'delivered' | 'failed', retryAt: number | null) => {
    const r = held(id, owner);
    if (!r) return false;
    Object.assign(r, afterAttempt(r, attempt, outcome, retryAt));
    log.set(id, [...(log.get(id) ?? []), { ...attempt }]);
    return true;
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
      return due.slice(0, limit).map((r) => {
        Object.assign(r, { status: 'leased' as DeliveryStatus, lease_owner: owner, leased_until: until, updated_at: new Date(now).toISOString() });
        return copy(r);
      });
    },
    async complete(id, owner, attempt) {
      return finish(id, owner, attempt, 'delivered', null);
    },
    async fail(id, owner, attempt, retryAt) {
      return finish(id, owner, attempt, 'failed', retryAt);
    },
    async releaseExpired(now) {
      let n = 0;
      for (const r of items.values()) {
        if (r.status === 'leased' && r.leased_until !== null && Date.parse(r.leased_until) < now) {
          Object.assign(r, { status: r.attempts > 0 ? 'failed' : 'pending', lease_owner: null, leased_until: null, next_attempt_at: new Date(now).toISOString(), updated_at: new Date(now).toISOString() });
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
      const rows = [...items.values()]
        .filter((r) => !statuses || statuses.has(r.status))
        .filter((r) => since === undefined || Date.parse(r.created_at) >= since)
        .filter((r) => q.endpoint === undefined || r.endpoint === q.endpoint)
        .filter((r) => q.tenantid === undefined || r.tenantid === q.tenantid)
        .filter((r) => !after || r.created_at < after.created_at || (r.created_at === after.created_at && r.id < after.id))
        .sort(newerFirst);
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return { deliveries: page.map(copy), next_cursor: rows.length > q.limit && last ? encodeDeliveryCursor(last) : null };
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
      for (const r of items.values()) {
        by[r.status]++;
        if ((r.status === 'pending' || r.status === 'failed') && r.next_attempt_at !== null && Date.parse(r.next_attempt_at) <= now) due++;
        if ((r.status === 'pending' || r.status === 'failed' || r.status === 'leased') && (oldest === null || r.created_at < oldest)) oldest = r.created_at;
      }
      return { total: items.size, by_status: by, due, oldest_pending_at: oldest };
    },
    // Retention (separate from the queue's lifecycle above).
    async purgeFinished(request) {
      const checked = checkPurgeRequest(request);
      const replayed = new Set([...items.values()].flatMap((r) => (r.replay_of === null ? [] : [r.replay_of])));
      const done = [...items.values()].filter((r) => isPurgeableDelivery(r, replayed)).sort((a, b) => -newerFirst(a, b));
      const n = purgeCount(done.slice(0, checked.limit).map((r) => Date.parse(r.created_at)), done.length, checked);
      for (const r of done.slice(0, n)) remove(r.id);
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
      for (const r of dead) remove(r.id);
      return dead.length;
    },
  };
}
