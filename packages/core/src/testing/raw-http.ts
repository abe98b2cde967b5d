import { connect } from 'node:net';

export interface RawRequest {
  method?: string;
  /** Sent as written: `%ff` and other bytes fetch would refuse or re-encode stay as they are. */
  path: string;
  /** Name/value pairs in order; a name may repeat. `Host`, `Connection: close` and `Content-Length` are added. */
  headers?: [string, string][];
  body?: string;
}

export interface RawResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 request written byte for byte on its own connection, for what fetch will not send: repeated headers,
 * bad percent-encoding, oversized headers. Resolves with the parsed answer once the server closes the connection.
 * @example const res = await rawHttp(url, { path: '/x', headers: [['x-user-roles', 'viewer'], ['x-user-roles', 'admin']] })
 */
export function rawHttp(baseUrl: string, request: RawRequest, timeoutMs = 5000): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const body = request.body ?? '';
  const lines = [`${request.method ?? 'GET'} ${request.path} HTTP/1.1`, `host: ${hostname}:${port}`, 'connection: close'];
  for (const [name, value] of request.headers ?? []) lines.push(`${name}: ${value}`);
  if (body || (request.method && request.method !== 'GET')) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server may reset the connection once it has answered: what arrived is the answer.
    const done = () => {
      clearTimeout(timer);
      try {
        resolve(parse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error as Error);
      }
    };
    socket.once('close', done);
    socket.on('error', () => undefined);
    // No half-close: Node's server aborts a request whose connection ends before it answers.
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}

function parse(raw: Buffer): RawResponse {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`not an HTTP answer: ${JSON.stringify(raw.toString('utf8', 0, 200))}`);
  const [statusLine, ...headerLines] = raw.toString('latin1', 0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = raw.subarray(split + 4);
  if (headers['transfer-encoding']?.includes('chunked')) body = dechunk(body);
  return { status, headers, body: body.toString('utf8') };
}

function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(raw.toString('latin1', at, eol), 16);
    if (!size) break;
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
