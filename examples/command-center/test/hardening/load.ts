// Mixed load for the fault and soak suites: publishers that keep the ids answered 200, SSE subscribers, readers,
// and a webhook receiver that records every delivery by its webhook-id.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
// The SSE client straight from its file: the soak script runs outside vitest, and the testing index loads it.
import { openStream, type OpenStream } from '../../../../packages/core/src/testing/sse-client.js';

export interface Received {
  webhookId: string;
  type: string;
  episode: string;
  rule: string;
  at: number;
}

export interface Sink {
  url: string;
  received: Received[];
  /** How many requests are being held open right now (hanging modes). */
  open(): number;
  close(): Promise<void>;
}

export type SinkMode = 'ok' | 'hang' | 'reset' | 'slow';

/**
 * A webhook receiver on 127.0.0.1: `ok` answers 200, `hang` never answers, `reset` destroys the connection,
 * `slow` answers 200 after `slowMs`. Every request that arrives whole is recorded.
 * @example const sink = await startSink(); … sink.received.length
 */
export async function startSink(mode: SinkMode = 'ok', slowMs = 3000): Promise<Sink> {
  const received: Received[] = [];
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { type?: string; data?: { episode_id?: string; rule?: { name?: string } } } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        // recorded as it came
      }
      received.push({ webhookId: String(req.headers['webhook-id'] ?? ''), type: body.type ?? '', episode: body.data?.episode_id ?? '', rule: body.data?.rule?.name ?? '', at: Date.now() });
      if (mode === 'reset') return req.socket.destroy();
      if (mode === 'hang') {
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      }
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      if (mode === 'slow') setTimeout(answer, slowMs);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    open: () => held.size,
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export interface Load {
  /** Ids answered 200 by a publish. */
  acked: string[];
  /** Status counts of every request the load made (0: no answer, the server was gone; negative: a deliberately bad request's). */
  statuses: Map<number, number>;
  /** Latencies in ms by route, when asked for (`latencies: true`): a bounded sample of each. */
  latencies: Map<string, number[]>;
  /** Messages the SSE subscribers received. */
  streamed(): number;
  /** Points the load at another address (the restarted server), keeping its counts. */
  retarget(url: string): void;
  stop(): Promise<void>;
}

/**
 * Starts `publishers` loops publishing `load.error` events from `sources` sources (and `load.info` between), SSE
 * subscribers and a reader, against `url`, until stopped. Requests that fail are counted, never thrown.
 * @example const load = startLoad(server.url, { tag: 'a' }); …; await load.stop()
 */
export function startLoad(
  url: string,
  options: { tag: string; publishers?: number; subscribers?: number; sources?: number; headers?: Record<string, string>; latencies?: boolean; badEvery?: number },
): Load {
  let base = url;
  let stopped = false;
  const headers = options.headers ?? { 'x-user-roles': 'operator' };
  const acked: string[] = [];
  const statuses = new Map<number, number>();
  let streamed = 0;
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const latencies = new Map<string, number[]>();
  const seen = new Map<string, number>();
  // Reservoir sampling keeps at most 20 000 latencies per route, however long the run.
  const time = (route: string, ms: number) => {
    if (!options.latencies) return;
    const list = latencies.get(route) ?? latencies.set(route, []).get(route)!;
    const n = (seen.get(route) ?? 0) + 1;
    seen.set(route, n);
    if (list.length < 20_000) list.push(ms);
    else {
      const slot = Math.floor(Math.random() * n);
      if (slot < 20_000) list[slot] = ms;
    }
  };
  const sources = options.sources ?? 10;
  const pause = () => new Promise((r) => setTimeout(r, 5));

  const publisher = async (w: number) => {
    for (let i = 0; !stopped; i++) {
      const id = `${options.tag}-${w}-${i}`;
      const type = i % 4 === 3 ? 'load.info' : 'load.error';
      // Deliberately bad publishes (a severity no event has), answered 400: counted apart by the caller.
      const bad = options.badEvery !== undefined && i % options.badEvery === options.badEvery - 1;
      try {
        const started = performance.now();
        const res = await fetch(`${base}/events/publish`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ type, source: `svc-${(w + i) % sources}`, id, data: { w, i }, ...(bad ? { severity: 'deliberately-bad' } : {}) }),
          signal: AbortSignal.timeout(15_000),
        });
        await res.arrayBuffer();
        time('POST /events/publish', performance.now() - started);
        count(bad ? -res.status : res.status);
        if (res.status === 200) acked.push(id);
      } catch {
        count(0);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const reader = async () => {
    while (!stopped) {
      for (const path of ['/events/recent?limit=20', '/alerts/active', '/events/stats', '/alerts/deliveries/stats']) {
        try {
          const started = performance.now();
          const res = await fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
          await res.arrayBuffer();
          time(`GET ${path.split('?')[0]}`, performance.now() - started);
          count(res.status);
        } catch {
          count(0);
        }
      }
      await pause();
    }
  };
  const subscriber = async () => {
    while (!stopped) {
      let stream: OpenStream | undefined;
      try {
        stream = await openStream(`${base}/events/stream?event_type=load.*`, headers);
        while (!stopped) {
          // A quiet stream times out and is read again; any other failure (ended, reset) reconnects.
          const message = await stream.next(2000).catch((error: Error) => {
            if (/in time/.test(error.message)) return undefined;
            throw error;
          });
          if (message) streamed++;
        }
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        stream?.close();
      }
    }
  };
  const running = [
    ...Array.from({ length: options.publishers ?? 6 }, (_, w) => publisher(w)),
    ...Array.from({ length: options.subscribers ?? 2 }, () => subscriber()),
    reader(),
  ];
  return {
    acked,
    statuses,
    latencies,
    streamed: () => streamed,
    retarget(next) {
      base = next;
    },
    async stop() {
      stopped = true;
      await Promise.all(running);
    },
  };
}

/**
 * Every stored id of events of a type, paging through /events/recent.
 * @example const ids = await storedIds(url, 'load.error', { 'x-user-roles': 'viewer' })
 */
export async function storedIds(url: string, type: string, headers: Record<string, string>): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const res = await fetch(`${url}/events/recent?event_type=${type}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers });
    const page = (await res.json()) as { events: { id: string }[]; next_cursor: string | null };
    for (const e of page.events) ids.add(e.id);
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}
