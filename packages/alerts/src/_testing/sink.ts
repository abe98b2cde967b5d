import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../delivery/signing.js';

// A webhook receiver for tests, on 127.0.0.1: records every request (headers, raw body, webhook-id) and answers as
// told, request by request — a status with headers and a body, a hang (never answers), or a reset connection.

/** How the sink answers one request. */
export type SinkAnswer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang' | 'reset';

export interface SinkRequest {
  /** 1-based, in arrival order. */
  n: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  webhookId: string | undefined;
  /** The body parsed as JSON (undefined when it is not). */
  json: unknown;
}

export interface WebhookSink {
  url: string;
  requests: SinkRequest[];
  /** How many times each webhook-id arrived. */
  ids(): Map<string, number>;
  /** Requests received and not answered yet (hanging ones). */
  open(): number;
  /** Whether request `r` carries a valid Standard Webhooks signature for `secret`. */
  verify(r: SinkRequest, secret: string, now?: number): boolean;
  close(): Promise<void>;
}

/**
 * Starts a sink; `answer` decides each request's answer (default 200 "ok").
 * @example const sink = await startWebhookSink((r) => (r.n === 1 ? { status: 500 } : { status: 200 }))
 */
export async function startWebhookSink(answer: (r: SinkRequest) => SinkAnswer = () => ({ status: 200, body: 'ok' })): Promise<WebhookSink> {
  const requests: SinkRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const id = req.headers['webhook-id'];
      const r: SinkRequest = { n: requests.length + 1, path: req.url ?? '/', headers: req.headers, body, webhookId: typeof id === 'string' ? id : undefined, json };
      requests.push(r);
      const a = answer(r);
      if (a === 'hang') {
        hanging.add(res);
        res.once('close', () => hanging.delete(res));
        return;
      }
      if (a === 'reset') {
        req.socket.destroy();
        return;
      }
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
        res.end(a.body ?? '');
      };
      if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    ids() {
      const counts = new Map<string, number>();
      for (const r of requests) if (r.webhookId) counts.set(r.webhookId, (counts.get(r.webhookId) ?? 0) + 1);
      return counts;
    },
    open: () => hanging.size,
    verify: (r, secret, now = Date.now()) => verifyWebhook(secret, r.headers as Record<string, string | string[] | undefined>, r.body, now),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
