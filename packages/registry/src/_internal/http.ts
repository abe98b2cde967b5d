import { request, type Dispatcher } from 'undici';

export interface JsonAnswer {
  status: number;
  body: unknown;
}

/**
 * One JSON request with a deadline; resolves with any status, rejects only when no answer came.
 * @example const { status, body } = await sendJson(agent, 'POST', url, { headers, body: { name }, timeoutMs: 5000 })
 */
export async function sendJson(
  dispatcher: Dispatcher,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  options: { headers: Record<string, string>; body?: unknown; timeoutMs: number; signal?: AbortSignal },
): Promise<JsonAnswer> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const res = await request(url, {
    method,
    dispatcher,
    signal: options.signal ? AbortSignal.any([options.signal, deadline]) : deadline,
    headers: { accept: 'application/json', ...options.headers, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.body.text();
  let body: unknown = text;
  try {
    body = text ? (JSON.parse(text) as unknown) : null;
  } catch {
    // Not JSON (a proxy's error page): keep the text for the error message.
  }
  return { status: res.statusCode, body };
}
