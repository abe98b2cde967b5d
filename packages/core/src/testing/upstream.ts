// Fake HTTP upstreams for tests: a server on 127.0.0.1:0 with a handler, canned answers, a hang, a refused URL.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  url: string;
  port: number;
  server: Server;
  /** Requests received so far. */
  hits(): number;
  /** Most requests in flight at once so far. */
  peak(): number;
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 (port 0 unless given) for tests; `close()` drops open connections too.
 * @example const s = await startTestServer((req, res) => res.end('{"status":"ok"}'))
 */
export async function startTestServer(handler: (req: IncomingMessage, res: ServerResponse) => void, port = 0): Promise<TestServer> {
  let hits = 0;
  let inFlight = 0;
  let peak = 0;
  const server = createServer((req, res) => {
    hits++;
    inFlight++;
    peak = Math.max(peak, inFlight);
    res.once('close', () => inFlight--);
    handler(req, res);
  });
  let connections = 0;
  server.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    hits: () => hits,
    peak: () => peak,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON with a status after an optional delay. */
export const answer =
  (status: number, body: unknown = { status: 'ok' }, delayMs = 0) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  };

/** Accepts the request and never answers. */
export const hang = () => (_req: IncomingMessage, _res: ServerResponse) => undefined;

/**
 * A URL on 127.0.0.1 where nothing listens (a port bound on 0, then released).
 * @example const url = await refusedUrl()
 */
export async function refusedUrl(): Promise<string> {
  const s = await startTestServer(answer(200));
  await s.close();
  return s.url;
}
