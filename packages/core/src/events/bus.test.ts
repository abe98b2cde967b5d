import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createManualClock } from '../clock.js';
import { isAetherError } from '../errors.js';
import { createEventBus } from './bus.js';
import { createSchemaRegistry } from './schema-registry.js';
import { memoryEventStore } from '../stores/memory/events.js';
import { normalizeEvent, type StoredEvent } from './envelope.js';
import { JOB_FAILED } from '../testing/event-types.js';

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (isAetherError(e)) return e;
    throw e;
  }
  throw new Error('expected an error');
};

describe('createEventBus', () => {
  it('validates the data of known types and names the bad field', async () => {
    const bus = createEventBus();
    bus.registry.register(JOB_FAILED);
    const err = await errorOf(bus.publish({ type: 'job.failed', source: 'heal', data: { service: 'api' } }));
    expect(err.code).toBe('validation_failed');
    expect(err.errors?.map((e) => e.field)).toEqual(['data.error']);
    const seedErr = await errorOf(bus.publish({ event_type: 'job.failed', source: 'heal', payload: { service: 'api' } }));
    expect(seedErr.errors?.map((e) => e.field)).toEqual(['payload.error']);
    expect((await bus.stats()).total).toBe(0);
  });

  it('accepts unknown types unless the registry is strict', async () => {
    const lax = createEventBus();
    await expect(lax.publish({ type: 'made.up', source: 's', data: { any: 'thing' } })).resolves.toMatchObject({ duplicate: false });
    const strict = createEventBus({ registry: createSchemaRegistry({ strict: true }) });
    const err = await errorOf(strict.publish({ type: 'made.up', source: 's' }));
    expect(err.errors?.[0]?.field).toBe('type');
  });

  it('uses app-registered schemas', async () => {
    const registry = createSchemaRegistry();
    registry.register({ type: 'order.paid', description: 'paid', schema: z.object({ order_id: z.string() }) });
    const bus = createEventBus({ registry });
    const err = await errorOf(bus.publish({ type: 'order.paid', source: 's', data: { order_id: 5 } }));
    expect(err.errors?.[0]?.field).toBe('data.order_id');
    expect(() => registry.register({ type: 'order.paid', description: 'again', schema: z.any() })).toThrow(/already registered/);
  });

  it('normalizes id and time from the injected clock', async () => {
    const clock = createManualClock(Date.parse('2026-05-05T05:05:05.000Z'));
    const bus = createEventBus({ clock, newId: () => 'fixed' });
    const { event } = await bus.publish({ type: 'a.b', source: 's' });
    expect(event).toMatchObject({ id: 'fixed', time: '2026-05-05T05:05:05.000Z', received_at: '2026-05-05T05:05:05.000Z' });
  });

  it('stores and fans out a source+id pair once', async () => {
    const bus = createEventBus();
    const seen = vi.fn();
    bus.subscribe({}, seen);
    const first = await bus.publish({ type: 'a.b', source: 's', id: 'one' });
    const second = await bus.publish({ type: 'a.b', source: 's', id: 'one' });
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.event.seq).toBe(first.event.seq);
    expect(seen).toHaveBeenCalledTimes(1);
  });

  it('delivers only matching events to a subscriber, and stops after unsubscribe', async () => {
    const bus = createEventBus();
    const got: string[] = [];
    const off = bus.subscribe({ type: 'autoheal.*', severity: ['error'] }, (e) => got.push(e.id));
    await bus.publish({ type: 'autoheal.failed', source: 's', id: '1', severity: 'error', data: { service: 'x', error: 'y' } });
    await bus.publish({ type: 'autoheal.failed', source: 's', id: '2', severity: 'info', data: { service: 'x', error: 'y' } });
    await bus.publish({ type: 'other.thing', source: 's', id: '3', severity: 'error' });
    expect(bus.subscriberCount()).toBe(1);
    off();
    off();
    await bus.publish({ type: 'autoheal.failed', source: 's', id: '4', severity: 'error', data: { service: 'x', error: 'y' } });
    expect(got).toEqual(['1']);
    expect(bus.subscriberCount()).toBe(0);
  });

  it('delivers to a deferred subscriber after the publish resolved, the events of a turn in order, matching only', async () => {
    const bus = createEventBus();
    const deferred: string[] = [];
    const direct: string[] = [];
    const off = bus.subscribe({ type: 'a.*' }, (e) => deferred.push(e.id), { deferred: true });
    bus.subscribe({}, (e) => direct.push(e.id));
    expect(bus.subscriberCount()).toBe(2);
    const first = await bus.publish({ type: 'a.b', source: 's', id: '1' });
    // Answered first: the direct subscriber has it, the deferred one not yet.
    expect(first.duplicate).toBe(false);
    expect(direct).toEqual(['1']);
    expect(deferred).toEqual([]);
    await Promise.all([
      bus.publish({ type: 'a.c', source: 's', id: '2' }),
      bus.publish({ type: 'x.y', source: 's', id: '3' }),
      bus.publish({ type: 'a.d', source: 's', id: '4' }),
    ]);
    await new Promise((r) => setImmediate(r));
    expect(deferred).toEqual(['1', '2', '4']);
    // A duplicate is not delivered again; after unsubscribing nothing is.
    await bus.publish({ type: 'a.b', source: 's', id: '1' });
    off();
    await bus.publish({ type: 'a.e', source: 's', id: '5' });
    await new Promise((r) => setImmediate(r));
    expect(deferred).toEqual(['1', '2', '4']);
    expect(bus.subscriberCount()).toBe(1);
  });

  it('isolates a deferred subscriber that throws', async () => {
    const errors: unknown[] = [];
    const bus = createEventBus({ onSubscriberError: (e) => errors.push(e) });
    const good = vi.fn();
    bus.subscribe({}, () => {
      throw new Error('boom');
    }, { deferred: true });
    bus.subscribe({}, good, { deferred: true });
    await bus.publish({ type: 'a.b', source: 's' });
    await new Promise((r) => setImmediate(r));
    expect(good).toHaveBeenCalledOnce();
    expect(errors).toHaveLength(1);
  });

  it('keeps publishing when a subscriber throws', async () => {
    const errors: unknown[] = [];
    const bus = createEventBus({ onSubscriberError: (e) => errors.push(e) });
    const good = vi.fn();
    bus.subscribe({}, () => {
      throw new Error('boom');
    });
    bus.subscribe({}, good);
    await expect(bus.publish({ type: 'a.b', source: 's' })).resolves.toBeTruthy();
    expect(good).toHaveBeenCalledOnce();
    expect(errors).toHaveLength(1);
  });

  it('pages newest first with a cursor', async () => {
    const bus = createEventBus();
    for (let i = 0; i < 5; i++) await bus.publish({ type: 'a.b', source: 's', data: { i } });
    const p1 = await bus.query({ limit: 2 });
    expect(p1.events.map((e) => (e.data as { i: number }).i)).toEqual([4, 3]);
    const p2 = await bus.query({ limit: 2, cursor: p1.next_cursor! });
    expect(p2.events.map((e) => (e.data as { i: number }).i)).toEqual([2, 1]);
    const p3 = await bus.query({ limit: 2, cursor: p2.next_cursor! });
    expect(p3.events.map((e) => (e.data as { i: number }).i)).toEqual([0]);
    expect(p3.next_cursor).toBeNull();
    const bad = await errorOf(bus.query({ cursor: 'nope' }));
    expect(bad.errors?.[0]?.field).toBe('cursor');
  });

  it('emit() uses the bus source and the type default severity', async () => {
    const bus = createEventBus({ source: 'jobs' });
    bus.registry.register(JOB_FAILED);
    const { event } = await bus.emit('job.failed', { service: 'api', error: 'exit 1' });
    expect(event).toMatchObject({ source: 'jobs', severity: 'error', type: 'job.failed' });
  });

  it('counts stats over the last 24 h by the injected clock', async () => {
    const clock = createManualClock(Date.parse('2026-05-05T00:00:00.000Z'));
    const bus = createEventBus({ clock });
    await bus.publish({ type: 'a.b', source: 's', severity: 'warning' });
    await bus.publish({ type: 'a.b', source: 's', time: '2026-05-01T00:00:00Z' });
    expect(await bus.stats()).toEqual({ total: 2, last_24h: 1, by_severity: { info: 1, warning: 1, error: 0, critical: 0 } });
    clock.advance(2 * 86_400_000);
    expect((await bus.stats()).last_24h).toBe(0);
  });
});

describe('createEventBus over a shared store', () => {
  it('fans out events that other instances appended, as the store reports them', async () => {
    const store = memoryEventStore();
    let relay: ((e: StoredEvent) => void) | undefined;
    const shared = { ...store, watch: (listener: (e: StoredEvent) => void) => ((relay = listener), () => (relay = undefined)) };
    const bus = createEventBus({ store: shared });
    const seen: string[] = [];
    bus.subscribe({ type: 'remote.*' }, (e) => seen.push(e.id));
    relay!({ ...(await store.append(normalizeEvent({ type: 'remote.thing', source: 'b' }, { now: 0, newId: () => 'r1' }), 'x')).event });
    expect(seen).toEqual(['r1']);
    bus.close();
    expect(relay).toBeUndefined();
  });
});
