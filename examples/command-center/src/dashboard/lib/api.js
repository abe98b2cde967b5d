// @ts-check
// The API client: every request carries the signed-in credentials, and a failure becomes an ApiError with the
// status and the problem+json detail the server gave.

/** A failed request: `status` 0 when the server could not be reached. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {import('./types.js').Problem | null} [problem]
   */
  constructor(status, message, problem = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }
}

/**
 * @typedef {object} Api
 * @property {<T>(path: string, options?: { signal?: AbortSignal }) => Promise<T>} get
 * @property {<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) => Promise<T>} send
 * @property {() => Record<string, string>} headers The credentials, for requests made elsewhere (the live stream).
 */

/**
 * An API client over fetch with the credentials `headers()` gives at the time of each request.
 * @param {() => Record<string, string>} headers
 * @returns {Api}
 * @example const api = createApi(() => ({ 'x-user-roles': 'viewer' })); await api.get('/events/stats')
 */
export function createApi(headers) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {{ body?: unknown, signal?: AbortSignal }} options
   */
  const request = async (method, path, { body, signal } = {}) => {
    /** @type {Response} */
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers() },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(0, 'the command center is not answering');
    }
    const text = await res.text();
    /** @type {unknown} */
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const problem = /** @type {import('./types.js').Problem | null} */ (parsed);
      throw new ApiError(res.status, problem?.detail ?? problem?.title ?? res.statusText ?? `status ${res.status}`, problem);
    }
    return parsed;
  };
  return {
    get: (path, options = {}) => /** @type {Promise<any>} */ (request('GET', path, options)),
    send: (method, path, body) => /** @type {Promise<any>} */ (request(method, path, { body })),
    headers,
  };
}
