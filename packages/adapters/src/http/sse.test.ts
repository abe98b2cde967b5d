import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sse, type SseChannel } from '@aetherlink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { formatSse, pumpSse } from './sse.js';

describe('formatSse', () => {
  it('splits multi-line data and strips newlines from id and event', () => {
    expect(formatSse({ id: '1\n2', event: 'x', data: 'a\nb\r\nc' })).toBe('id: 12\nevent: x\ndata: a\ndata: b\ndata: c\n\n');
  });
});

describe('pumpSse with a client that stops reading', () => {
  let server: Server | undefined;
  afterEach(
    () =>
      new Promise<void>((r) => {
        if (!server) return r();
        server.closeAllConnections();
        server.close(() => r());
      }),
  );

  it('disconnects the client instead of queueing without bound', async () => {
    let channel: SseChannel | undefined;
    let sent = 0;
    server = createServer((req, res) => {
      void pumpSse(req, res, sse((ch) => {
        channel = ch;
        const payload = 'x'.repeat(16 * 1024);
        // Far more than the socket and the queue can hold while the client is not reading.
        for (let i = 0; i < 20_000 && !ch.signal.aborted; i++, sent++) ch.send({ data: payload });
      }), { maxQueuedMessages: 50, maxQueuedBytes: 1024 * 1024, heartbeatMs: 60_000 });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    socket.pause();
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await expect.poll(() => channel?.signal.aborted, { timeout: 5000 }).toBe(true);
    expect(String((channel!.signal.reason as Error).message)).toMatch(/too slow/);
    expect(sent).toBeLessThan(20_000);
    socket.resume();
    await closed;
  });

  it('aborts the channel when the client disconnects', async () => {
    let channel: SseChannel | undefined;
    server = createServer((req, res) => {
      void pumpSse(req, res, sse((ch) => {
        channel = ch;
      }));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    await expect.poll(() => channel !== undefined).toBe(true);
    expect(channel!.signal.aborted).toBe(false);
    controller.abort();
    await expect.poll(() => channel!.signal.aborted).toBe(true);
  });
});
