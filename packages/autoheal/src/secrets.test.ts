import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEgressPolicy, createEventBus, memoryDocumentStore, memoryHealHistoryStore, type StoredEvent } from '@aetherlink/core';
import { memoryLogger, recordingRuntime } from '@aetherlink/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAutoHealer } from './healer.js';

// A health endpoint behind a token in its query and an Authorization header: auto-heal must send both, and show
// neither in its logs, events, history, status, stats or its why.
const URL_TOKEN = 'url-s3cret-7f3a';
const HEADER_TOKEN = 'hdr-s3cret-91bc';

describe('secrets in checks', () => {
  let server: Server;
  let base: string;
  let mode: 'ok' | 'error' | 'hang' = 'ok';
  const seen: { token: string | null; authorization: string | undefined }[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ token: url.searchParams.get('token'), authorization: req.headers.authorization });
      if (mode === 'hang') return;
      // Echoes what it got, as a careless service might: the answer is never shown either.
      res.writeHead(mode === 'ok' ? 200 : 500, { 'content-type': 'application/json' }).end(JSON.stringify({ status: mode, got: req.url, auth: req.headers.authorization }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends the token and the header, and neither reaches a log line, an event, the history, the status, the stats or the why', async () => {
    const runtime = recordingRuntime({ workloads: { api: {}, meta: {} } });
    runtime.watch!((e) => e.action === 'start' && e.id === 'api' && (mode = 'ok'));
    const logs = memoryLogger();
    const events: StoredEvent[] = [];
    const bus = createEventBus({ source: 'autoheal-test' });
    bus.subscribe({}, (e) => events.push(e));
    const healer = createAutoHealer({
      runtime,
      bus,
      documents: memoryDocumentStore(),
      history: memoryHealHistoryStore(),
      logger: logs.logger,
      egress: createEgressPolicy({ allowPrivate: true, allowLoopback: true }),
      targets: [
        { name: 'api', checks: [{ kind: 'http', url: `${base}/ping?token=${URL_TOKEN}`, headers: { authorization: `Bearer ${HEADER_TOKEN}` }, timeoutMs: 300 }] },
        // Refused by the egress policy: its refusal names the host, never the URL.
        { name: 'meta', checks: [{ kind: 'http', url: `http://169.254.169.254/latest?token=${URL_TOKEN}`, headers: { 'x-api-key': HEADER_TOKEN } }] },
      ],
      policy: { failureThreshold: 1, startGraceMs: 0, verifyIntervalMs: 20, verifyWindowMs: 1500, backoff: { initialMs: 0 }, caps: { concurrentRestarts: 5 } },
    });
    try {
      await healer.runRound();
      mode = 'error';
      await healer.runRound();
      await healer.idle();
      mode = 'hang';
      await healer.runRound();
      await healer.idle();
      const history = await healer.history({ limit: 50 });
      expect(history.history.filter((r) => r.service === 'api').map((r) => [r.outcome, r.probe?.error])).toEqual([
        ['succeeded', 'no answer within 300 ms'],
        ['succeeded', 'HTTP 500, expected 200–299'],
      ]);
      expect(seen.length).toBeGreaterThan(3);
      expect(seen.every((s) => s.token === URL_TOKEN && s.authorization === `Bearer ${HEADER_TOKEN}`)).toBe(true);

      const shown = JSON.stringify([
        logs.lines, events, history, await healer.status(), await healer.stats(), await healer.service('api'), await healer.service('meta'),
      ]);
      expect(shown).toContain('169.254.169.254');
      expect(shown).not.toContain(URL_TOKEN);
      expect(shown).not.toContain(HEADER_TOKEN);
      expect(shown).not.toContain('/ping?');
    } finally {
      await healer.close();
    }
  });
});
