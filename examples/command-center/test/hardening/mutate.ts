// Turns a valid body and a Mutation into the bytes sent, and judges the answer: what the server must say for it.
import type { Mutation } from './schema-arbitrary.js';

type Path = (string | number)[];

/** Every place in a JSON value: the root, each key of each object, each item of each array. */
export function places(value: unknown, path: Path = []): Path[] {
  const out: Path[] = [path];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...places(v, [...path, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...places(v, [...path, k]));
  return out;
}

const PROTO_MARK = '"\\u0001PROTO\\u0001":0';
const BAD_MARK = '\\u0001BAD\\u0001';
// 0xff and 0xfe never occur in UTF-8; c0 80 is an overlong NUL; ed a0 80 is an encoded surrogate.
const BAD_BYTES = Buffer.from([0x61, 0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80, 0x62]);

export interface Hostile {
  bytes: Buffer;
  /** Where the mutation struck, dotted as the server names fields ('' for the whole body). */
  field: string;
  label: string;
  /** The body as the server's JSON parser would read it, when it would (for the schema oracle). */
  parsed?: unknown;
}

/**
 * Applies a mutation to a copy of a valid body.
 * @example const { bytes, field } = mutate({ name: 'a' }, { kind: 'drop', at: 1 }, 64 * 1024)
 */
export function mutate(base: unknown, m: Mutation, limit: number): Hostile {
  const body = structuredClone(base);
  const all = places(body);
  const inner = all.filter((p) => p.length > 0);
  const objects = all.filter((p) => isObject(get(body, p)));
  if (m.kind === 'root') return { bytes: Buffer.from(m.text), field: '', label: `a body of ${m.label}` };
  if (m.kind === 'oversize') {
    const text = JSON.stringify(body);
    return { bytes: Buffer.from(`{"padding":"${'x'.repeat(limit + 1)}",${text.slice(1)}`), field: 'body', label: 'a body over the limit' };
  }
  if (m.kind === 'set' && inner.length > 0) {
    const at = inner[m.at % inner.length]!;
    set(body, at, m.value);
    const text = JSON.stringify(body);
    return { bytes: Buffer.from(text), field: at.join('.'), label: `${m.label} at ${at.join('.')}`, parsed: JSON.parse(text) };
  }
  if (m.kind === 'drop') {
    const keys = inner.filter((p) => typeof p[p.length - 1] === 'string');
    if (keys.length > 0) {
      const at = keys[m.at % keys.length]!;
      delete (get(body, at.slice(0, -1)) as Record<string, unknown>)[at[at.length - 1] as string];
      return { bytes: Buffer.from(JSON.stringify(body)), field: at.join('.'), label: `${at.join('.')} left out`, parsed: body };
    }
  }
  if (m.kind === 'proto' && objects.length > 0) {
    const at = objects[m.at % objects.length]!;
    (get(body, at) as Record<string, unknown>)['\u0001PROTO\u0001'] = 0;
    const raw = m.key === '__proto__' ? '"__proto__":{"polluted":"yes"}' : '"constructor":{"prototype":{"polluted":"yes"}}';
    return { bytes: Buffer.from(JSON.stringify(body).replace(PROTO_MARK, raw)), field: 'body', label: `a ${m.key} key at ${at.join('.') || 'the top'}` };
  }
  if (m.kind === 'bad-utf8' && all.length > 0) {
    const at = inner.length > 0 ? inner[m.at % inner.length]! : ['hardening'];
    set(body, at, '\u0001BAD\u0001');
    const [before, after] = JSON.stringify(body).split(BAD_MARK) as [string, string];
    return { bytes: Buffer.concat([Buffer.from(before), BAD_BYTES, Buffer.from(after)]), field: 'body', label: `invalid UTF-8 at ${at.join('.')}` };
  }
  // Nothing to strike at (an empty body): send the body as it is, which is no hostile case.
  return { bytes: Buffer.from(JSON.stringify(body)), field: '', label: 'unchanged', parsed: body };
}

/** Whether an answer's field names point at the place a mutation struck (or a place around it). */
export function namesField(fields: string[], struck: string): boolean {
  return fields.some((f) => f === struck || f.startsWith(`${struck}.`) || struck.startsWith(`${f}.`) || (struck === '' && f === 'body'));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function get(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)?.[key], value);
}

function set(value: unknown, path: Path, to: unknown): void {
  if (path.length === 0) return;
  (get(value, path.slice(0, -1)) as Record<string | number, unknown>)[path[path.length - 1]!] = to;
}
