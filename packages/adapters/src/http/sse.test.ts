import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { sse, type SseChannel } from '@aetherlink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { formatSse, pumpSse } from './sse.js';

// The body is chunked: one chunk per write, so the chunks say how many writes a stream got.
const writesOf = (raw: string) => {
  const out: string[] = [];
  let rest = raw.slice(raw.indexOf('\r\n\r\n') + 4);
  for (let cut = rest.indexOf('\r\n'); cut > 0; cut = rest.indexOf('\r\n')) {
    const size = Number.parseInt(rest.slice(0, cut), 16);
    if (rest.length < cut + 2 + size + 2) break;
    out.push(rest.slice(cut + 2, cut + 2 + size));
    rest = rest.slice(cut + 2 + size + 2);
  }
  return out;
};

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

  it('sends what the server wrote before it closed the stream in the same turn, and an error event on failure', async () => {
    server = createServer((req, res) => {
      const last = req.url === '/fail';
      void pumpSse(req, res, sse((ch) => {
        ch.send({ id: '1', data: 'last words' });
        if (last) throw new Error('boom');
        ch.close();
      }), { heartbeatMs: 60_000 }).catch(() => undefined);
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await (await fetch(`${base}/`)).text()).toContain('id: 1\ndata: last words\n\n');
    const failed = await (await fetch(`${base}/fail`)).text();
    expect(failed).toContain('data: last words');
    expect(failed).toContain('event: error');
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

describe('pumpSse fanning one message out to many streams', () => {
  let server: Server | undefined;
  afterEach(
    () =>
      new Promise<void>((r) => {
        server!.closeAllConnections();
        server!.close(() => r());
      }),
  );

  it('delivers every message to every stream in order, a burst of one turn in one write per stream', async () => {
    const channels: SseChannel[] = [];
    server = createServer((req, res) => {
      void pumpSse(req, res, sse((ch) => void channels.push(ch)), { heartbeatMs: 60_000 });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const streams = 300;
    const received: string[] = Array.from({ length: streams }, () => '');
    for (let i = 0; i < streams; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (received[i] += d));
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    }
    await expect.poll(() => channels.length).toBe(streams);
    await expect.poll(() => received.every((r) => writesOf(r).some((w) => w.includes(': connected')))).toBe(true);
    // One turn: the same message objects to every stream, as the event routes send an event.
    const messages = Array.from({ length: 5 }, (_, n) => ({ id: String(n), data: JSON.stringify({ n }) }));
    for (const message of messages) for (const ch of channels) ch.send(message);
    const burst = messages.map((m) => formatSse(m)).join('');
    await expect.poll(() => received.every((r) => writesOf(r).length === 2)).toBe(true);
    expect(received.every((r) => writesOf(r)[1] === burst)).toBe(true);
  });
});

describe('pumpSse pacing a busy stream', () => {
  let server: Server | undefined;
  afterEach(
    () =>
      new Promise<void>((r) => {
        server!.closeAllConnections();
        server!.close(() => r());
      }),
  );
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const open = async (writesPerSecond: number) => {
    let channel: SseChannel | undefined;
    server = createServer((req, res) => {
      void pumpSse(req, res, sse((ch) => void (channel = ch)), { heartbeatMs: 60_000, writesPerSecond });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.setEncoding('latin1');
    const stream = { raw: '', arrived: [] as number[] };
    socket.on('data', (d: string) => {
      stream.raw += d;
      stream.arrived.push(performance.now());
    });
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n');
    await expect.poll(() => writesOf(stream.raw).length).toBe(1);
    return { channel: channel!, stream };
  };
  const message = (n: number) => ({ id: String(n), data: JSON.stringify({ n }) });

  it('sends what arrives within the gap after a write in one write, once the gap has passed, and the next event after a quiet spell at once', async () => {
    // One open stream and a budget of 10 writes a second: 100 ms between two writes.
    const { channel, stream } = await open(10);
    const connectedAt = stream.arrived[0]!;
    for (let n = 0; n < 5; n++) {
      channel.send(message(n));
      await sleep(5);
    }
    await expect.poll(() => writesOf(stream.raw).length).toBe(2);
    expect(writesOf(stream.raw)[1]).toBe([0, 1, 2, 3, 4].map((n) => formatSse(message(n))).join(''));
    // Held until the gap after the first write had passed (a lower bound: timers never fire early).
    expect(stream.arrived.at(-1)! - connectedAt).toBeGreaterThanOrEqual(90);
    await sleep(150);
    channel.send(message(5));
    channel.send(message(6));
    await expect.poll(() => writesOf(stream.raw).length).toBe(3);
    expect(writesOf(stream.raw)[2]).toBe(formatSse(message(5)) + formatSse(message(6)));
  });

  it('writes every event as it comes with a budget of 0', async () => {
    const { channel, stream } = await open(0);
    for (let n = 0; n < 5; n++) {
      channel.send(message(n));
      await sleep(5);
    }
    await expect.poll(() => writesOf(stream.raw).length).toBe(6);
    expect(writesOf(stream.raw).slice(1)).toEqual([0, 1, 2, 3, 4].map((n) => formatSse(message(n))));
  });
});
