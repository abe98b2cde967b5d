// A fake LLM server for tests and benchmarks: speaks Anthropic Messages, OpenAI Chat Completions and Ollama
// /api/chat (plain and streamed) on 127.0.0.1, one "provider" per path prefix, each told how to answer.
// Not part of the published package.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Vendor = 'anthropic' | 'openai' | 'ollama';

export type FakeMode =
  /** Answer; streamed when the request asks. */
  | { kind: 'ok'; text?: string; chunks?: string[]; delayMs?: number; chunkDelayMs?: number; usage?: { input: number; output: number } }
  /** Any status with the vendor's error body (or `body`) and headers such as retry-after. */
  | { kind: 'status'; status: number; message?: string; type?: string; code?: string; body?: unknown; headers?: Record<string, string> }
  /** The vendor's quota / spend-limit answer. */
  | { kind: 'quota' }
  /** Never answer. */
  | { kind: 'hang' }
  /** 200 (or `status`) with exactly these bytes, each chunk written and flushed on its own. */
  | { kind: 'raw'; status?: number; contentType?: string; chunks: (string | Uint8Array)[] }
  /** Drop the connection without answering. */
  | { kind: 'reset' }
  /** 200 with a body that is not JSON (non-streaming) or a chunk that is not (streaming). */
  | { kind: 'malformed' }
  /** Streaming: some chunks, then the vendor's error event / line / chunk. */
  | { kind: 'stream-error'; afterChunks: number; text?: string }
  /** Streaming: some chunks, then the connection ends without the final event. */
  | { kind: 'stream-truncate'; afterChunks: number; text?: string }
  /** Streaming: some chunks, then silence. */
  | { kind: 'stream-stall'; afterChunks: number; text?: string };

export interface RecordedRequest {
  vendor: Vendor;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export interface FakeLlmServer {
  readonly url: string;
  /** Base URL to give a provider client for this fake provider id. */
  baseUrl(id: string, vendor: Vendor): string;
  /** How the provider answers next; the last mode repeats. */
  set(id: string, ...modes: FakeMode[]): void;
  requests(id: string): RecordedRequest[];
  hits(id: string): number;
  /** Requests still waiting for an answer (hang) or mid-stream. */
  open(id: string): number;
  /** Resolves once the provider has received `n` requests. */
  waitForHits(id: string, n: number, timeoutMs?: number): Promise<void>;
  /** Forgets every mode and request. */
  reset(): void;
  close(): Promise<void>;
}

const ROUTE = /^\/p\/([^/]+)(\/v1\/messages|\/v1\/chat\/completions|\/api\/chat)$/;
const VENDOR: Record<string, Vendor> = { '/v1/messages': 'anthropic', '/v1/chat/completions': 'openai', '/api/chat': 'ollama' };
const ANTHROPIC_TYPE: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' };

export interface FakeLlmServerOptions {
  /** Serve `POST /_control/<id>` (a JSON array of modes) and `GET /_control/<id>` (`{ hits, open }`) for a
   * process that drives the server from outside (the benchmarks). */
  control?: boolean;
}

const CONTROL = /^\/_control\/([^/]+)$/;

/**
 * Starts the fake server on 127.0.0.1, port 0.
 * @example const fake = await startFakeLlmServer(); fake.set('claude', { kind: 'status', status: 529 })
 */
export async function startFakeLlmServer(options: FakeLlmServerOptions = {}): Promise<FakeLlmServer> {
  const modes = new Map<string, FakeMode[]>();
  const records = new Map<string, RecordedRequest[]>();
  const openCount = new Map<string, number>();
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();

  const server = createServer((req, res) => {
    const control = options.control ? CONTROL.exec(req.url ?? '') : null;
    if (control) {
      const id = control[1]!;
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ hits: records.get(id)?.length ?? 0, open: openCount.get(id) ?? 0 }));
        return;
      }
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        modes.set(id, JSON.parse(raw) as FakeMode[]);
        res.writeHead(204).end();
      });
      return;
    }
    const match = ROUTE.exec(req.url ?? '');
    if (!match || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such route"}');
      return;
    }
    const id = match[1]!;
    const vendor = VENDOR[match[2]!]!;
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        // recorded as empty
      }
      const list = records.get(id) ?? [];
      list.push({ vendor, path: req.url!, headers: req.headers, body });
      records.set(id, list);
      for (const wake of waiters) wake();
      const queue = modes.get(id) ?? [];
      const mode: FakeMode = (queue.length > 1 ? queue.shift() : queue[0]) ?? { kind: 'ok' };
      openCount.set(id, (openCount.get(id) ?? 0) + 1);
      res.on('close', () => openCount.set(id, (openCount.get(id) ?? 1) - 1));
      void answer(vendor, mode, body, req, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    baseUrl: (id, vendor) => `${url}/p/${id}${vendor === 'openai' ? '/v1' : ''}`,
    set: (id, ...list) => void modes.set(id, list),
    requests: (id) => records.get(id) ?? [],
    hits: (id) => records.get(id)?.length ?? 0,
    open: (id) => openCount.get(id) ?? 0,
    waitForHits(id, n, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if ((records.get(id)?.length ?? 0) >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${id} got ${records.get(id)?.length ?? 0} requests, not ${n}, within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    reset() {
      modes.clear();
      records.clear();
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function pieces(text: string, chunks: string[] | undefined): string[] {
  if (chunks) return chunks;
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 4) out.push(text.slice(i, i + 4));
  return out.length ? out : [''];
}

async function answer(vendor: Vendor, mode: FakeMode, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const stream = body.stream === true;
  const model = typeof body.model === 'string' ? body.model : 'fake-model';
  switch (mode.kind) {
    case 'hang':
      return;
    case 'raw':
      res.writeHead(mode.status ?? 200, { 'content-type': mode.contentType ?? 'text/event-stream' });
      for (const chunk of mode.chunks) {
        if (res.destroyed) return;
        res.write(chunk);
        await new Promise<void>((r) => setImmediate(r));
      }
      res.end();
      return;
    case 'reset':
      req.socket.destroy();
      return;
    case 'malformed':
      if (stream) return streamAnswer(vendor, model, ['ok'], res, { broken: true });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"id": "x", "content": [ {"type": "text", "text": "o');
      return;
    case 'quota':
      return errorAnswer(vendor, res, quotaFor(vendor));
    case 'status':
      return errorAnswer(vendor, res, mode);
    case 'stream-error':
    case 'stream-truncate':
    case 'stream-stall': {
      const all = pieces(mode.text ?? 'partial answer here', undefined);
      return streamAnswer(vendor, model, all.slice(0, mode.afterChunks), res, { ending: mode.kind });
    }
    case 'ok': {
      if (mode.delayMs) await sleep(mode.delayMs);
      if (res.destroyed) return;
      const text = mode.text ?? 'ok';
      const usage = mode.usage ?? { input: 11, output: 7 };
      if (stream) return streamAnswer(vendor, model, pieces(text, mode.chunks), res, { usage, chunkDelayMs: mode.chunkDelayMs ?? 0, includeUsage: (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(complete(vendor, model, text, usage)));
      return;
    }
  }
}

function quotaFor(vendor: Vendor): Extract<FakeMode, { kind: 'status' }> {
  if (vendor === 'anthropic') {
    return { kind: 'status', status: 429, body: { type: 'error', error: { type: 'rate_limit_error', message: 'This request would exceed your spend limit.', details: { error_code: 'enforced_spend_limit_reached' } } } };
  }
  if (vendor === 'openai') {
    return { kind: 'status', status: 429, body: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' } } };
  }
  return { kind: 'status', status: 429, body: { error: 'quota exceeded' } };
}

function errorAnswer(vendor: Vendor, res: ServerResponse, mode: Extract<FakeMode, { kind: 'status' }>): void {
  const message = mode.message ?? `fake ${mode.status}`;
  const body =
    mode.body ??
    (vendor === 'anthropic'
      ? { type: 'error', error: { type: mode.type ?? ANTHROPIC_TYPE[mode.status] ?? 'api_error', message } }
      : vendor === 'openai'
        ? { error: { message, type: mode.type ?? (mode.status >= 500 ? 'server_error' : 'invalid_request_error'), code: mode.code ?? null } }
        : { error: message });
  res.writeHead(mode.status, { 'content-type': 'application/json', ...mode.headers }).end(JSON.stringify(body));
}

function complete(vendor: Vendor, model: string, text: string, usage: { input: number; output: number }): unknown {
  if (vendor === 'anthropic') {
    return { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', usage: { input_tokens: usage.input, output_tokens: usage.output } };
  }
  if (vendor === 'openai') {
    return {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1767225600,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output },
    };
  }
  return { model, created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: text }, done: true, done_reason: 'stop', prompt_eval_count: usage.input, eval_count: usage.output };
}

interface StreamPlan {
  usage?: { input: number; output: number };
  chunkDelayMs?: number;
  includeUsage?: boolean;
  broken?: boolean;
  ending?: 'stream-error' | 'stream-truncate' | 'stream-stall';
}

async function streamAnswer(vendor: Vendor, model: string, parts: string[], res: ServerResponse, plan: StreamPlan): Promise<void> {
  const usage = plan.usage ?? { input: 11, output: 7 };
  const sse = vendor !== 'ollama';
  res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/x-ndjson', 'cache-control': 'no-cache' });
  const write = (event: string | null, data: unknown) => {
    if (res.destroyed) return;
    if (!sse) res.write(`${typeof data === 'string' ? data : JSON.stringify(data)}\n`);
    else res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  };
  if (vendor === 'anthropic') {
    write('message_start', { type: 'message_start', message: { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], usage: { input_tokens: usage.input, output_tokens: 1 } } });
    write('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    write('ping', { type: 'ping' });
  } else if (vendor === 'openai') {
    write(null, { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1767225600, model, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  }
  for (const part of parts) {
    if (plan.chunkDelayMs) await sleep(plan.chunkDelayMs);
    if (res.destroyed) return;
    if (vendor === 'anthropic') write('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: part } });
    else if (vendor === 'openai') write(null, { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1767225600, model, choices: [{ index: 0, delta: { content: part }, finish_reason: null }] });
    else write(null, { model, created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: part }, done: false });
  }
  if (plan.broken) {
    write(vendor === 'anthropic' ? 'content_block_delta' : null, '{"not json');
    res.end();
    return;
  }
  if (plan.ending === 'stream-stall') return;
  if (plan.ending === 'stream-truncate') {
    res.end();
    return;
  }
  if (plan.ending === 'stream-error') {
    if (vendor === 'anthropic') write('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    else if (vendor === 'openai') write(null, { error: { message: 'The server had an error while processing your request.', type: 'server_error' } });
    else write(null, { error: 'model runner has unexpectedly stopped' });
    res.end();
    return;
  }
  if (vendor === 'anthropic') {
    write('content_block_stop', { type: 'content_block_stop', index: 0 });
    write('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output } });
    write('message_stop', { type: 'message_stop' });
  } else if (vendor === 'openai') {
    write(null, { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1767225600, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    if (plan.includeUsage) {
      write(null, { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1767225600, model, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } });
    }
    write(null, '[DONE]');
  } else {
    write(null, { model, created_at: '2026-01-01T00:00:00Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: usage.input, eval_count: usage.output });
  }
  res.end();
}
