// Issue #17, item 4: webhook receivers that hang, reset the connection or answer slowly cannot stall the deliveries
// of the other endpoints: a healthy receiver gets all of its deliveries while the hanging one still holds requests.
import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startInProcess, type InProcessServer } from './harness.js';
import { startSink, type Sink } from './load.js';

vi.setConfig({ testTimeout: 180_000 });

const ADMIN = { 'x-user-roles': 'admin', 'content-type': 'application/json' };
const ROUNDS = 15;

describe('webhook receivers that hang, reset or crawl', () => {
  let server: InProcessServer;
  const sinks = {} as Record<'hang' | 'reset' | 'slow' | 'good', Sink>;
  const ids = {} as Record<keyof typeof sinks, string>;

  beforeAll(async () => {
    for (const mode of ['hang', 'reset', 'slow', 'good'] as const) sinks[mode] = await startSink(mode === 'good' ? 'ok' : mode, 5000);
    server = await startInProcess(
      { ALERT_WEBHOOK_ALLOW_PRIVATE: 'true', DELIVERY_POLL_MS: '100', ALERT_WEBHOOK_TIMEOUT_MS: '60000', ALERT_WEBHOOK_RETRY_SCHEDULE: '1s,1s,1s' },
      { loops: true },
    );
    for (const mode of Object.keys(sinks) as (keyof typeof sinks)[]) {
      const res = await fetch(`${server.url}/alerts/endpoints`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ url: `${sinks[mode].url}/${mode}`, channel: 'webhook', rate_limit: null }) });
      expect(res.status).toBe(201);
      ids[mode] = ((await res.json()) as { endpoint: { id: string } }).endpoint.id;
    }
  });
  afterAll(async () => {
    await server?.close();
    for (const sink of Object.values(sinks)) await sink.close();
  });

  it('delivers everything to the healthy receiver while the others hang, reset and crawl', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['hang', 'reset', 'slow', 'good'] as const) {
        const res = await fetch(`${server.url}/alerts/endpoints/${ids[mode]}/test`, { method: 'POST', headers: ADMIN });
        expect(res.status).toBe(202);
      }
    }
    await eventually(() => sinks.good.received.length >= ROUNDS, `${ROUNDS} deliveries at the healthy receiver`, 120_000, 50);
    // At that moment the hanging receiver still holds requests open: its deliveries did not hold the others back.
    expect(sinks.hang.open()).toBeGreaterThan(0);
    await eventually(() => sinks.reset.received.length > 0 && sinks.slow.received.length > 0, 'the resetting and the slow receivers were called too');
    const health = (await (await fetch(`${server.url}/alerts/endpoints`, { headers: ADMIN })).json()) as { endpoints: { id: string }[] };
    expect(health.endpoints.map((e) => e.id)).toEqual(expect.arrayContaining(Object.values(ids)));
    console.info(
      `[hardening] sinks: ${sinks.good.received.length}/${ROUNDS} delivered to the healthy receiver while the hanging one held ${sinks.hang.open()} requests, ` +
        `the resetting one was called ${sinks.reset.received.length} times and the slow one ${sinks.slow.received.length}`,
    );
  });
});
