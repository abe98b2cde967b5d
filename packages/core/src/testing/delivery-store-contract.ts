import { describe, expect, it } from 'vitest';
import { isAetherError } from '../errors.js';
import type { DeliveryAttempt, DeliveryInput, DeliveryOutcome, DeliveryRecord, DeliveryStore } from '../stores/types.js';
import type { StoreFactory } from './event-store-contract.js';
import { errorCode, withStore } from './helpers.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const at = (ms: number) => T0 + ms;
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const LEASE = 30_000;

/**
 * A delivery input for store tests.
 * @example await store.enqueue(makeDeliveryInput({ endpoint: 'http://hook' }), Date.now())
 */
export function makeDeliveryInput(overrides: Partial<DeliveryInput> = {}): DeliveryInput {
  return {
    endpoint: 'https://hooks.example.com/alerts',
    payload: { text: 'AetherLink alert', nested: { count: 3, list: [1, 'two', null] } },
    headers: { 'x-extra': 'yes' },
    max_attempts: 8,
    event_type: 'ops.alert.raised',
    rule_id: 'r-1',
    ...overrides,
  };
}

const attempt = (n: number, ms: number, status: number | null, error: string | null = null, body: string | null = null): DeliveryAttempt => ({
  attempt: n,
  at: iso(ms),
  duration_ms: 12,
  status_code: status,
  error,
  response_body: body,
});

/**
 * The DeliveryStore contract: a durable queue with leases, retries, a dead letter, history and replay.
 * @example describeDeliveryStoreContract('memory', () => ({ store: memoryDeliveryStore() }))
 */
export function describeDeliveryStoreContract(name: string, factory: StoreFactory<DeliveryStore>): void {
  describe(`DeliveryStore contract: ${name}`, () => {
    const s = withStore(factory);
    const enqueue = (overrides: Partial<DeliveryInput> = {}, ms = 0) => s.get().enqueue(makeDeliveryInput(overrides), at(ms));
    const settleOne = async (owner: string, outcome: DeliveryOutcome) => (await s.get().settle(owner, [outcome]))[0];
    const complete = (id: string, owner: string, a: DeliveryAttempt) => settleOne(owner, { id, outcome: 'delivered', attempt: a });
    const fail = (id: string, owner: string, a: DeliveryAttempt, retryAt: number | null) => settleOne(owner, { id, outcome: 'failed', attempt: a, retryAt });

    it('enqueues a due, pending delivery whose webhook id defaults to its id', async () => {
      const d = await enqueue({}, 0);
      expect(d).toMatchObject({
        status: 'pending',
        attempts: 0,
        max_attempts: 8,
        webhook_id: d.id,
        next_attempt_at: iso(0),
        created_at: iso(0),
        lease_owner: null,
        replay_of: null,
        endpoint_id: null,
        headers: { 'x-extra': 'yes' },
        payload: makeDeliveryInput().payload,
        event_type: 'ops.alert.raised',
        rule_id: 'r-1',
        event_id: null,
        tenantid: null,
      });
      const own = await enqueue({ id: 'd-own', webhook_id: 'msg_1', tenantid: 'acme', next_attempt_at: iso(60_000) }, 0);
      expect(own).toMatchObject({ id: 'd-own', webhook_id: 'msg_1', tenantid: 'acme', next_attempt_at: iso(60_000) });
      const { attempt_log, ...stored } = (await s.get().get('d-own'))!;
      expect(stored).toEqual(own);
      expect(attempt_log).toEqual([]);
      expect(await s.get().get('missing')).toBeNull();
    });

    it('refuses a taken id with conflict, and a bad next_attempt_at as invalid', async () => {
      await enqueue({ id: 'dup' });
      expect(await errorCode(enqueue({ id: 'dup' }))).toBe('conflict');
      expect(await errorCode(enqueue({ next_attempt_at: 'soon' }))).toBe('validation_failed');
      expect((await s.get().history({ limit: 10 })).deliveries).toHaveLength(1);
    });

    it('rejects a max_attempts below 1', async () => {
      let err: unknown;
      try {
        await enqueue({ max_attempts: 0 });
      } catch (e) {
        err = e;
      }
      expect(isAetherError(err) && err.code).toBe('validation_failed');
    });

    it('leases only due items, oldest due first, up to the limit, each once', async () => {
      const late = await enqueue({ next_attempt_at: iso(120_000) }, 0);
      const a = await enqueue({ next_attempt_at: iso(-2000) }, 0);
      const b = await enqueue({ next_attempt_at: iso(-1000) }, 0);
      const c = await enqueue({}, 0);
      const first = await s.get().lease({ owner: 'w1', now: at(0), leaseMs: LEASE, limit: 2 });
      expect(first.map((d) => d.id)).toEqual([a.id, b.id]);
      expect(first[0]).toMatchObject({ status: 'delivering', lease_owner: 'w1', leased_until: iso(LEASE) });
      const second = await s.get().lease({ owner: 'w2', now: at(1), leaseMs: LEASE, limit: 10 });
      expect(second.map((d) => d.id)).toEqual([c.id]);
      expect(await s.get().lease({ owner: 'w3', now: at(2), leaseMs: LEASE, limit: 10 })).toEqual([]);
      const later = await s.get().lease({ owner: 'w3', now: at(120_000), leaseMs: LEASE, limit: 10 });
      expect(later.map((d) => d.id).sort()).toEqual([a.id, b.id, c.id, late.id].sort());
    });

    it('gives an expired lease to another owner, and the first owner can no longer finish it', async () => {
      const d = await enqueue({}, 0);
      await s.get().lease({ owner: 'w1', now: at(0), leaseMs: LEASE, limit: 1 });
      expect(await s.get().lease({ owner: 'w2', now: at(LEASE - 1), leaseMs: LEASE, limit: 1 })).toEqual([]);
      const taken = await s.get().lease({ owner: 'w2', now: at(LEASE + 1), leaseMs: LEASE, limit: 1 });
      expect(taken.map((x) => x.id)).toEqual([d.id]);
      expect(await complete(d.id, 'w1', attempt(1, LEASE + 2, 200))).toBe(false);
      expect(await complete(d.id, 'w2', attempt(1, LEASE + 3, 200))).toBe(true);
      expect((await s.get().get(d.id))!.status).toBe('delivered');
    });

    it('completes a delivery and keeps its attempt log', async () => {
      const d = await enqueue({}, 0);
      await s.get().lease({ owner: 'w1', now: at(0), leaseMs: LEASE, limit: 1 });
      expect(await fail(d.id, 'w1', attempt(1, 10, 503, 'HTTP 503'), at(5000))).toBe(true);
      await s.get().lease({ owner: 'w1', now: at(5000), leaseMs: LEASE, limit: 1 });
      expect(await complete(d.id, 'w1', attempt(2, 5010, 204))).toBe(true);
      const done = (await s.get().get(d.id))!;
      expect(done).toMatchObject({ status: 'delivered', attempts: 2, delivered_at: iso(5010), last_status_code: 204, last_error: null, next_attempt_at: null, lease_owner: null });
      expect(done.attempt_log).toEqual([attempt(1, 10, 503, 'HTTP 503'), attempt(2, 5010, 204)]);
      expect(await complete(d.id, 'w1', attempt(3, 6000, 200))).toBe(false);
      expect(await s.get().lease({ owner: 'w1', now: at(999_999), leaseMs: LEASE, limit: 5 })).toEqual([]);
    });

    it('schedules a retry, and dead-letters when told there is none', async () => {
      const d = await enqueue({}, 0);
      await s.get().lease({ owner: 'w1', now: at(0), leaseMs: LEASE, limit: 1 });
      await fail(d.id, 'w1', attempt(1, 5, null, 'connection refused'), at(300_000));
      expect(await s.get().get(d.id)).toMatchObject({ status: 'retrying', attempts: 1, next_attempt_at: iso(300_000), last_error: 'connection refused', last_status_code: null });
      expect(await s.get().lease({ owner: 'w1', now: at(299_999), leaseMs: LEASE, limit: 1 })).toEqual([]);
      expect(await s.get().lease({ owner: 'w1', now: at(300_000), leaseMs: LEASE, limit: 1 })).toHaveLength(1);
      expect(await fail(d.id, 'w1', attempt(2, 300_010, 500, 'HTTP 500'), null)).toBe(true);
      expect(await s.get().get(d.id)).toMatchObject({ status: 'dead_letter', attempts: 2, next_attempt_at: null, last_status_code: 500 });
      expect(await s.get().lease({ owner: 'w1', now: at(9_999_999), leaseMs: LEASE, limit: 1 })).toEqual([]);
      expect(await fail(d.id, 'w1', attempt(3, 300_020, 500), null)).toBe(false);
    });

    it('releases expired leases back to the queue', async () => {
      const fresh = await enqueue({}, 0);
      const tried = await enqueue({}, 0);
      await s.get().lease({ owner: 'w1', now: at(0), leaseMs: LEASE, limit: 2 });
      await fail(tried.id, 'w1', attempt(1, 1, 500), at(10));
      await s.get().lease({ owner: 'w1', now: at(10), leaseMs: LEASE, limit: 2 });
      expect(await s.get().releaseExpired(at(LEASE))).toBe(0);
      expect(await s.get().releaseExpired(at(LEASE + 100))).toBe(2);
      expect(await s.get().get(fresh.id)).toMatchObject({ status: 'pending', lease_owner: null, leased_until: null });
      expect(await s.get().get(tried.id)).toMatchObject({ status: 'retrying', attempts: 1 });
      expect(await s.get().releaseExpired(at(LEASE + 200))).toBe(0);
    });

    it('hands each item to exactly one of many concurrent lessees', async () => {
      for (let i = 0; i < 30; i++) await enqueue({ payload: { i } }, -i);
      const batches = await Promise.all(
        Array.from({ length: 8 }, (_, w) => s.get().lease({ owner: `w${w}`, now: at(0), leaseMs: LEASE, limit: 5 })),
      );
      const ids = batches.flat().map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(30);
      for (const [w, batch] of batches.entries()) for (const d of batch) expect(d.lease_owner).toBe(`w${w}`);
    });

    it('lists history newest first, filtered, in pages that neither repeat nor skip', async () => {
      const made: DeliveryRecord[] = [];
      for (let i = 0; i < 7; i++) made.push(await enqueue({ endpoint: i % 2 ? 'https://b.example' : 'https://a.example', tenantid: i < 3 ? 't1' : null }, i * 1000));
      await s.get().lease({ owner: 'w', now: at(0), leaseMs: LEASE, limit: 1 });
      await fail(made[0]!.id, 'w', attempt(1, 1, 500), null);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await s.get().history({ limit: 3, ...(cursor ? { cursor } : {}) });
        seen.push(...page.deliveries.map((d) => d.id));
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      expect(seen).toEqual([...made].reverse().map((d) => d.id));
      expect((await s.get().history({ limit: 10, status: 'dead_letter' })).deliveries.map((d) => d.id)).toEqual([made[0]!.id]);
      expect((await s.get().history({ limit: 10, status: ['dead_letter', 'pending'] })).deliveries).toHaveLength(7);
      expect((await s.get().history({ limit: 10, since: iso(5000) })).deliveries.map((d) => d.id)).toEqual([made[6]!.id, made[5]!.id]);
      expect((await s.get().history({ limit: 10, endpoint: 'https://b.example' })).deliveries).toHaveLength(3);
      expect((await s.get().history({ limit: 10, tenantid: 't1' })).deliveries).toHaveLength(3);
      let bad: unknown;
      try {
        await s.get().history({ limit: 3, cursor: 'not-a-cursor' });
      } catch (e) {
        bad = e;
      }
      expect(isAetherError(bad) && bad.errors?.[0]?.field).toBe('cursor');
      expect(await errorCode(s.get().history({ limit: 3, since: 'yesterday-ish' }))).toBe('validation_failed');
    });

    it('replays: a fresh, due copy with the same webhook id; unknown ids reported; the original untouched', async () => {
      const d = await enqueue({ webhook_id: 'msg_keep' }, 0);
      await s.get().lease({ owner: 'w', now: at(0), leaseMs: LEASE, limit: 1 });
      await fail(d.id, 'w', attempt(1, 1, 410, 'HTTP 410'), null);
      const { replayed, missing } = await s.get().replay([d.id, 'ghost'], at(60_000));
      expect(missing).toEqual(['ghost']);
      expect(replayed).toHaveLength(1);
      const copy = replayed[0]!;
      expect(copy.id).not.toBe(d.id);
      expect(copy).toMatchObject({ webhook_id: 'msg_keep', replay_of: d.id, status: 'pending', attempts: 0, next_attempt_at: iso(60_000), created_at: iso(60_000), endpoint: d.endpoint, payload: d.payload, last_error: null });
      expect((await s.get().get(d.id))!.status).toBe('dead_letter');
      const leased = await s.get().lease({ owner: 'w', now: at(60_000), leaseMs: LEASE, limit: 5 });
      expect(leased.map((x) => x.id)).toEqual([copy.id]);
    });

    it('counts by status, what is due, and the oldest unfinished item', async () => {
      const a = await enqueue({}, 0);
      await enqueue({ next_attempt_at: iso(999_000) }, 1000);
      const c = await enqueue({}, 2000);
      await s.get().lease({ owner: 'w', now: at(3000), leaseMs: LEASE, limit: 2 });
      await complete(a.id, 'w', attempt(1, 3001, 200));
      const stats = await s.get().stats(at(4000));
      expect(stats).toEqual({
        total: 3,
        by_status: { pending: 1, delivering: 1, delivered: 1, retrying: 0, dead_letter: 0, cancelled: 0 },
        due: 0,
        oldest_pending_at: iso(1000),
        oldest_due_at: null,
      });
      expect((await s.get().get(c.id))!.status).toBe('delivering');
      expect(await s.get().stats(at(1_000_000))).toMatchObject({ due: 1, oldest_due_at: iso(999_000) });
    });

    it('settles many leased items in one call: each outcome applied or refused on its own', async () => {
      const ok = await enqueue({ endpoint_id: 'ep-1' }, 0);
      const retry = await enqueue({ endpoint_id: 'ep-1' }, 0);
      const dead = await enqueue({ endpoint_id: 'ep-2' }, 0);
      const back = await enqueue({}, 0);
      const drop = await enqueue({}, 0);
      const other = await enqueue({}, 0);
      await s.get().lease({ owner: 'w1', now: at(0), leaseMs: LEASE, limit: 5 });
      await s.get().lease({ owner: 'w2', now: at(0), leaseMs: LEASE, limit: 5 });
      const body = `{"ok":false,"why":"${'é'.repeat(9000)}"}`;
      const answers = await s.get().settle('w1', [
        { id: ok.id, outcome: 'delivered', attempt: attempt(1, 10, 200, null, 'ok') },
        { id: retry.id, outcome: 'failed', attempt: attempt(1, 11, 503, 'HTTP 503', body), retryAt: at(5000) },
        { id: dead.id, outcome: 'failed', attempt: attempt(1, 12, 410, 'HTTP 410'), retryAt: null },
        { id: back.id, outcome: 'released', at: at(13), retryAt: at(2000) },
        { id: drop.id, outcome: 'cancelled', at: at(14), reason: 'the endpoint was disabled' },
        { id: other.id, outcome: 'delivered', attempt: attempt(1, 15, 200) },
      ]);
      expect(answers).toEqual([true, true, true, true, true, false]);
      expect(await s.get().get(ok.id)).toMatchObject({ status: 'delivered', attempts: 1, attempt_log: [attempt(1, 10, 200, null, 'ok')] });
      expect(await s.get().get(retry.id)).toMatchObject({ status: 'retrying', next_attempt_at: iso(5000), attempt_log: [attempt(1, 11, 503, 'HTTP 503', body)] });
      expect(await s.get().get(dead.id)).toMatchObject({ status: 'dead_letter', last_status_code: 410 });
      expect(await s.get().get(back.id)).toMatchObject({ status: 'pending', attempts: 0, next_attempt_at: iso(2000), lease_owner: null, attempt_log: [] });
      expect(await s.get().get(drop.id)).toMatchObject({ status: 'cancelled', next_attempt_at: null, last_error: 'the endpoint was disabled', attempt_log: [] });
      expect(await s.get().get(other.id)).toMatchObject({ status: 'delivering', lease_owner: 'w2' });
      // A released item that was tried before goes back as retrying, and comes due when it said.
      expect(await s.get().lease({ owner: 'w1', now: at(1999), leaseMs: LEASE, limit: 5 })).toEqual([]);
      expect((await s.get().lease({ owner: 'w1', now: at(2000), leaseMs: LEASE, limit: 5 })).map((d) => d.id)).toEqual([back.id]);
      expect(await s.get().settle('w1', [])).toEqual([]);
    });

    it('cancels waiting items by id or endpoint, never one a worker holds or one that is finished', async () => {
      const a = await enqueue({ endpoint_id: 'ep-x' }, 0);
      const b = await enqueue({ endpoint_id: 'ep-x', next_attempt_at: iso(60_000) }, 0);
      const held = await enqueue({ endpoint_id: 'ep-x', next_attempt_at: iso(-5) }, 0);
      const elsewhere = await enqueue({ endpoint_id: 'ep-y' }, 0);
      const done = await enqueue({ endpoint_id: 'ep-x', next_attempt_at: iso(-10) }, 0);
      const [first, second] = await s.get().lease({ owner: 'w', now: at(0), leaseMs: LEASE, limit: 2 });
      expect([first!.id, second!.id]).toEqual([done.id, held.id]);
      await complete(done.id, 'w', attempt(1, 1, 200));
      expect(await s.get().cancel({ endpoint_id: 'ep-x', reason: 'endpoint removed', now: at(100) })).toBe(2);
      expect(await s.get().get(a.id)).toMatchObject({ status: 'cancelled', last_error: 'endpoint removed', updated_at: iso(100) });
      expect(await s.get().get(b.id)).toMatchObject({ status: 'cancelled' });
      expect((await s.get().get(held.id))!.status).toBe('delivering');
      expect((await s.get().get(done.id))!.status).toBe('delivered');
      expect((await s.get().get(elsewhere.id))!.status).toBe('pending');
      expect(await s.get().cancel({ ids: [elsewhere.id, 'ghost'], reason: 'by hand', now: at(200) })).toBe(1);
      expect(await s.get().cancel({ ids: [], reason: 'nothing', now: at(300) })).toBe(0);
      // Only the held item comes back, once its lease runs out: the cancelled ones are gone from the queue.
      expect((await s.get().lease({ owner: 'w', now: at(999_999), leaseMs: LEASE, limit: 10 })).map((d) => d.id)).toEqual([held.id]);
    });

    it("lists an endpoint's latest attempts newest first, across its deliveries", async () => {
      const d1 = await enqueue({ endpoint_id: 'ep-h' }, 0);
      const d2 = await enqueue({ endpoint_id: 'ep-h' }, 0);
      const d3 = await enqueue({ endpoint_id: 'ep-other' }, 0);
      const unnamed = await enqueue({}, 0);
      await s.get().lease({ owner: 'w', now: at(0), leaseMs: LEASE, limit: 10 });
      await s.get().settle('w', [
        { id: d1.id, outcome: 'failed', attempt: attempt(1, 10, 500, 'HTTP 500', 'boom'), retryAt: at(20) },
        { id: d3.id, outcome: 'delivered', attempt: attempt(1, 11, 200) },
        { id: unnamed.id, outcome: 'delivered', attempt: attempt(1, 11, 200) },
      ]);
      await s.get().settle('w', [{ id: d2.id, outcome: 'delivered', attempt: attempt(1, 12, 204) }]);
      await s.get().lease({ owner: 'w', now: at(20), leaseMs: LEASE, limit: 10 });
      await s.get().settle('w', [{ id: d1.id, outcome: 'delivered', attempt: attempt(2, 21, 200, null, 'fine') }]);
      expect(await s.get().attempts({ endpoint_id: 'ep-h', limit: 10 })).toEqual([
        { ...attempt(2, 21, 200, null, 'fine'), delivery_id: d1.id },
        { ...attempt(1, 12, 204), delivery_id: d2.id },
        { ...attempt(1, 10, 500, 'HTTP 500', 'boom'), delivery_id: d1.id },
      ]);
      expect((await s.get().attempts({ endpoint_id: 'ep-h', limit: 2 })).map((a) => a.at)).toEqual([iso(21), iso(12)]);
      expect(await s.get().attempts({ endpoint_id: 'ep-none', limit: 10 })).toEqual([]);
    });

    it('keeps endpoint ids, and finds deliveries by endpoint id or by id', async () => {
      const a = await enqueue({ endpoint_id: 'ep-1' }, 0);
      const b = await enqueue({ endpoint_id: 'ep-2' }, 1);
      const c = await enqueue({ endpoint_id: 'ep-1' }, 2);
      expect(a.endpoint_id).toBe('ep-1');
      expect((await s.get().get(b.id))!.endpoint_id).toBe('ep-2');
      expect((await s.get().history({ limit: 10, endpoint_id: 'ep-1' })).deliveries.map((d) => d.id)).toEqual([c.id, a.id]);
      expect((await s.get().history({ limit: 10, ids: [a.id, b.id, 'ghost'] })).deliveries.map((d) => d.id)).toEqual([b.id, a.id]);
      expect((await s.get().history({ limit: 10, ids: [] })).deliveries).toEqual([]);
      const { replayed } = await s.get().replay([a.id], at(10));
      expect(replayed[0]).toMatchObject({ endpoint_id: 'ep-1', replay_of: a.id });
    });
  });
}
