// One hostile request and what must hold for every answer to it: no 5xx (but the 502 the AI routes document), no
// polluted Object.prototype, 4xx as problem+json with a code and named fields, and no database write for a rejection
// — neither before its answer nor after it, until the next request starts.
import { rawRequest, type Operation, type WatchedServer } from './harness.js';

// A request the server never answers is a failure of its own; generous, for a busy machine.
const ANSWER_MS = 15_000;
const ADMIN = { 'x-user-roles': 'admin' };

export interface Judged {
  status: number;
  fields: string[];
}

export interface Sender {
  /** Sends as admin; throws, saying why, when an answer breaks a rule. */
  send(o: Operation, path: string, body: Buffer | undefined, headers: Record<string, string>, label: string): Promise<Judged>;
}

/**
 * A sender over one watched server.
 * @example const { send } = createSender(server); await send(op, '/events/publish', bytes, { 'content-type': 'application/json' }, 'NUL')
 */
export function createSender(server: WatchedServer): Sender {
  let pending: { label: string; version: number } | undefined;
  const documented = (o: Operation, status: number) => o.op.responses?.[status] !== undefined;
  // An accepted request may write after its answer (the AI router emits its events without holding the answer back):
  // wait until the database holds still across a whole round trip and every write queued by then has committed (the
  // writer thread's barrier), so those writes are not blamed on the next request.
  const settle = async () => {
    for (let i = 0; i < 100; i++) {
      const before = server.version();
      await fetch(`${server.url}/ops/ping`).then((r) => r.arrayBuffer());
      await server.barrier();
      if (server.version() === before) return;
    }
    throw new Error('the database never held still after an accepted request');
  };
  return {
    async send(o, path, body, headers, label) {
      const start = server.version();
      const carried = pending;
      pending = undefined;
      if (carried && start !== carried.version) throw new Error(`${carried.label} was rejected, yet the database changed after its answer`);
      const res = await rawRequest(server.url, o.method, path, { ...ADMIN, ...headers }, body, ANSWER_MS).catch((error: Error) => {
        throw new Error(`${o.method} ${path.slice(0, 200)} with ${label}: no answer within ${ANSWER_MS} ms (${error.message})`);
      });
      const text = res.body;
      const where = `${o.method} ${o.path} with ${label} → ${res.status} ${text.slice(0, 200)}`;
      // The AI routes answer 502 when every provider failed (DESIGN §4): documented, and not a fault of the server.
      if (res.status >= 500 && (res.status === 500 || !documented(o, res.status))) throw new Error(where);
      if (({} as Record<string, unknown>).polluted !== undefined) throw new Error(`Object.prototype was polluted: ${where}`);
      if (res.status < 400 || res.status >= 500) {
        await settle();
        return { status: res.status, fields: [] };
      }
      const type = res.type;
      // The OpenAI-compatible gateway answers in OpenAI's error shape where its document says so, `param` naming the field.
      const openai = type.startsWith('application/json') && o.op.responses?.[res.status]?.content?.['application/json'];
      if (!type.startsWith('application/problem+json') && !openai) throw new Error(`not problem+json: ${where}`);
      const parsed = JSON.parse(text) as { code?: string; errors?: { field?: string }[]; error?: { code?: string; param?: string | null } };
      const problem = openai ? { code: parsed.error?.code, errors: [{ field: parsed.error?.param ?? '' }] } : parsed;
      const fields = (problem.errors ?? []).map((e) => e.field ?? '');
      if (typeof problem.code !== 'string') throw new Error(`no code: ${where}`);
      if ([400, 413, 415, 422].includes(res.status) && (fields.length === 0 || fields.some((f) => !f))) throw new Error(`no field named: ${where}`);
      if (server.version() !== start) throw new Error(`rejected, yet the database changed: ${where}`);
      pending = { label: where, version: start };
      return { status: res.status, fields };
    },
  };
}

/**
 * The counterexample and the reason of a failed fast-check run, cut short: a counterexample may hold a 20 000-character string.
 * @example failures.push(`${op}: ${failureOf(error)}`)
 */
export function failureOf(error: unknown): string {
  const example = (error as Error).message.split('\n').find((l) => l.startsWith('Counterexample')) ?? (error as Error).message.slice(0, 300);
  const cause = (error as Error & { cause?: Error }).cause?.message ?? '';
  return `${cause.slice(0, 500)} | ${example.slice(0, 300)}`;
}
