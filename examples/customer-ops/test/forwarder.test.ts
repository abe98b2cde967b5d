import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createManualClock } from '@aetherlink/core';
import { memoryLogger } from '@aetherlink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { commandCenterClient } from '../src/command-center.js';
import { createForwarder, retryDelayMs, type ForwardResult } from '../src/forwarder.js';
import { openCrmStore, type CrmStore } from '../src/store/store.js';
import { tempDb } from './helpers.js';

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A stand-in for the command center's POST /events/publish on 127.0.0.1: answers from a script, records what came. */
async function fakeCommandCenter(script: Answer[]) {
  const received: { type: string; headers: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      received.push({ ...(JSON.parse(raw) as { type: string }), headers: req.headers });
      const answer = (script.length > 1 ? script.shift() : script[0]) ?? { status: 200 };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(JSON.stringify(answer.body ?? { status: 'ok' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('the outbox forwarder: at least once, in order, to the command center', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  async function setup(script: Answer[], options: { maxPending?: number; token?: string } = {}) {
    const cc = await fakeCommandCenter(script);
    const store: CrmStore = openCrmStore({ path: tempDb() });
    const clock = createManualClock(1_000_000);
    const client = commandCenterClient({ url: cc.url, clock, ...(options.token ? { token: options.token } : {}) });
    const results: ForwardResult[] = [];
    const { logger, lines } = memoryLogger();
    const forwarder = createForwarder({ outbox: store.outbox, client, clock, logger, onResult: (r) => results.push(r), ...(options.maxPending ? { maxPending: options.maxPending } : {}) });
    cleanup.push(() => client.close(), () => store.close(), () => cc.close());
    return { cc, store, clock, forwarder, results, lines };
  }

  it('sends every event in order and empties the outbox', async () => {
    const { cc, store, forwarder, results } = await setup([{ status: 200 }]);
    for (const type of ['a', 'b', 'c']) store.outbox.append({ type, id: type });
    await forwarder.run();
    expect(cc.received.map((e) => e.type)).toEqual(['a', 'b', 'c']);
    expect(cc.received[0]!.headers['content-type']).toBe('application/cloudevents+json');
    expect(cc.received[0]!.headers['x-user-roles']).toBe('agent');
    expect(results).toEqual(['sent', 'sent', 'sent']);
    expect(store.outbox.pending()).toBe(0);
  });

  it('holds the line while the command center fails, honours Retry-After, and delivers once it is back', async () => {
    const { cc, store, clock, forwarder, results, lines } = await setup([{ status: 503, headers: { 'retry-after': '30' } }, { status: 200 }]);
    store.outbox.append({ type: 'first', id: '1' });
    store.outbox.append({ type: 'second', id: '2' });
    await forwarder.run();
    // The head failed; nothing behind it was sent out of order.
    expect(cc.received.map((e) => e.type)).toEqual(['first']);
    expect(store.outbox.head(10)[0]).toMatchObject({ type: 'first', attempts: 1, next_attempt_at: 1_000_000 + 30_000 });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['events cannot reach the command center; they wait in the outbox']);
    await forwarder.run();
    expect(cc.received).toHaveLength(1); // not due yet
    clock.advance(30_000);
    await forwarder.run();
    expect(cc.received.map((e) => e.type)).toEqual(['first', 'first', 'second']);
    expect(results).toEqual(['retried', 'sent', 'sent']);
    expect(store.outbox.pending()).toBe(0);
  });

  it('sets aside an event the command center refuses as invalid, and goes on with the next', async () => {
    const { cc, store, forwarder, results, lines } = await setup([{ status: 400, body: { detail: 'data.lead_id: is required' } }, { status: 200 }]);
    store.outbox.append({ type: 'lead.created', id: 'bad' });
    store.outbox.append({ type: 'lead.created', id: 'good' });
    await forwarder.run();
    expect(results).toEqual(['dead', 'sent']);
    expect(cc.received).toHaveLength(2);
    expect(store.outbox.deadCount()).toBe(1);
    expect(lines.find((l) => l.level === 'error')?.fields.error).toBe('the command center answered 400: data.lead_id: is required');
  });

  it('retries when the command center is not there at all', async () => {
    const { cc, store, forwarder, results } = await setup([{ status: 200 }]);
    await cc.close();
    store.outbox.append({ type: 'x', id: 'x' });
    await forwarder.run();
    expect(results).toEqual(['retried']);
    expect(store.outbox.head(1)[0]).toMatchObject({ attempts: 1 });
  });

  it('counts a repeated event the command center already had as delivered, and sends a bearer token when given one', async () => {
    const { cc, store, forwarder, results } = await setup([{ status: 200, body: { status: 'ok', event_id: 'x', duplicate: true } }], { token: 'cc-token' });
    store.outbox.append({ type: 'x', id: 'x' });
    await forwarder.run();
    expect(results).toEqual(['duplicate']);
    expect(cc.received[0]!.headers.authorization).toBe('Bearer cc-token');
    expect(cc.received[0]!.headers['x-user-roles']).toBeUndefined();
  });

  it('drops events from the local bus once the outbox is full, saying so once', async () => {
    const { cc, store, forwarder, results, lines } = await setup([{ status: 503 }], { maxPending: 2 });
    forwarder.append({ type: 'v1', id: '1' });
    await forwarder.run();
    forwarder.append({ type: 'v2', id: '2' });
    forwarder.append({ type: 'v3', id: '3' });
    forwarder.append({ type: 'v4', id: '4' });
    expect(store.outbox.pending()).toBe(2);
    expect(results.filter((r) => r === 'dropped')).toHaveLength(2);
    expect(lines.filter((l) => /outbox is full/.test(String(l.msg)))).toHaveLength(1);
    expect(cc.received.length).toBeGreaterThan(0);
  });

  it('backs off from 1 s doubling to 60 s (or the configured cap), longer when asked, at most 5 minutes', () => {
    expect([0, 1, 2, 5, 6, 20].map((n) => retryDelayMs(n))).toEqual([1000, 2000, 4000, 32_000, 60_000, 60_000]);
    expect(retryDelayMs(0, 120_000)).toBe(120_000);
    expect(retryDelayMs(0, 3_600_000)).toBe(300_000);
    expect([0, 3, 9].map((n) => retryDelayMs(n, undefined, 500))).toEqual([500, 500, 500]);
  });
});
