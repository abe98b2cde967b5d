// Issue #17, item 4: PostgreSQL stopped and started under mixed load (a PostgreSQL of this test's own, not the
// run's shared one): requests answer 503 (never 500) while it is gone, readiness fails, and the server recovers by
// itself when it is back, keeping every publish it acknowledged.
import { eventually } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPostgres, type PostgresServer } from '../../../../test/postgres-server.js';
import { startInProcess, type InProcessServer } from './harness.js';
import { startLoad, storedIds } from './load.js';

vi.setConfig({ testTimeout: 240_000 });

const OPERATOR = { 'x-user-roles': 'operator' };

describe('PostgreSQL stopped and started under load', () => {
  let pg: PostgresServer;
  let server: InProcessServer;

  beforeAll(async () => {
    pg = await startPostgres({ label: 'outage' });
    server = await startInProcess({ DATABASE_URL: pg.connectionString, DATABASE_SCHEMA: 'outage', ALERT_EVAL_INTERVAL_SECONDS: '1' }, { loops: true });
  });
  afterAll(async () => {
    await server?.close();
    await pg?.destroy();
  });

  const status = async (path: string) => (await fetch(`${server.url}${path}`, { headers: OPERATOR, signal: AbortSignal.timeout(15_000) })).status;

  it('answers 503 while the database is gone and recovers by itself, losing nothing it acknowledged', async () => {
    const load = startLoad(server.url, { tag: 'outage', publishers: 4, subscribers: 2, sources: 5 });
    let during = 0;
    try {
      await eventually(() => load.acked.length > 100, 'publishes acknowledged', 60_000, 20);
      await pg.stop();
      const before = load.statuses.get(503) ?? 0;
      await eventually(() => (load.statuses.get(503) ?? 0) > before + 10, 'requests answered 503', 60_000, 20);
      expect(await status('/health.json')).toBe(503);
      during = load.acked.length;
      await pg.start();
      await eventually(async () => (await status('/health.json')) === 200, 'ready again', 120_000, 200);
      await eventually(() => load.acked.length > during + 100, 'publishes acknowledged again', 120_000, 20);
    } finally {
      await load.stop();
    }
    const stored = new Set([...(await storedIds(server.url, 'load.error', OPERATOR)), ...(await storedIds(server.url, 'load.info', OPERATOR))]);
    expect(load.acked.filter((id) => !stored.has(id))).toEqual([]);
    expect(load.statuses.get(500) ?? 0).toBe(0);
    expect([...load.statuses.keys()].filter((s) => s >= 500 && s !== 503)).toEqual([]);
    console.info(`[hardening] PostgreSQL outage: ${load.acked.length} publishes acknowledged (${during} before the restart), 0 lost; statuses ${JSON.stringify(Object.fromEntries(load.statuses))}`);
  });
});
