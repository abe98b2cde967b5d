// Issue #17, item 2, over queries and path parameters: for each parameter the served /openapi.json declares, hostile
// values sent byte for byte (bad percent-encoding, encoded surrogates and NUL, wrong types, repeats, bracket and
// prototype keys, huge values). Nothing answers 5xx; a value the parameter's schema refuses answers 400 naming it;
// a rejection writes nothing.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFixtures, pathFor } from './fixtures.js';
import { operations, startWatched, type Operation, type WatchedServer } from './harness.js';
import { validOf } from './schema-arbitrary.js';
import { createSender, failureOf, type Sender } from './sender.js';

vi.setConfig({ testTimeout: 240_000 });

const RUNS = Number(process.env.HARDENING_RUNS ?? 40);
const SEED = process.env.HARDENING_SEED ? Number(process.env.HARDENING_SEED) : undefined;

/** Raw (already encoded) values, and whether they are plain text the schema can judge. */
const hostileRaw = fc.oneof(
  fc.constantFrom('abc', '-1', '0', '1e400', '0x1f', '1.5', '%207', 'NaN', 'Infinity', '', 'true', '[]', '{}', 'null').map((v) => ({ raw: v, plain: decodeURIComponent(v) })),
  fc.constantFrom('%00', '%FF', '%E0%A4%A', '%ED%A0%80', '%C0%80', '%', '%%', '%u0041', '%E2%80%AE%E2%80%8B', 'a%0D%0AX-Injected:%201').map((v) => ({ raw: v, plain: undefined })),
  fc.constantFrom(500, 5000).map((n) => ({ raw: 'x'.repeat(n), plain: 'x'.repeat(n) })),
  fc.string({ unit: 'binary', maxLength: 20 }).map((s) => ({ raw: encodeURIComponent(s.replace(/[\ud800-\udfff]/g, '')), plain: s.replace(/[\ud800-\udfff]/g, '') })),
);

/** Whole-query tricks that no single value shows: repeats, brackets, prototype keys, unknown names. */
const trick = (name: string) =>
  fc.constantFrom(
    `${name}=a&${name}=b`,
    `${name}[]=1`,
    `${name}[x]=1`,
    `${name}`,
    `${name}==`,
    `__proto__[polluted]=1`,
    `constructor[prototype][polluted]=1`,
    `__proto__=1&${name}=1`,
    `hardening_unknown=1`,
    `${name}=1&`.repeat(200),
  );

/** What a parameter's JSON Schema says of a plain value, where it can say anything (types, enums, bounds, patterns). */
function accepts(schema: Record<string, any>, value: string): boolean | undefined {
  if (schema.enum) return schema.enum.includes(value);
  if (schema.type === 'integer' || schema.type === 'number') {
    // Numbers are read as JavaScript reads them (0x1f is 31); an empty value is no value.
    if (value.trim() === '') return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) return false;
    if (schema.type === 'integer' && !Number.isInteger(n)) return false;
    return !(n < (schema.minimum ?? -Infinity) || n > (schema.maximum ?? Infinity));
  }
  if (schema.type === 'string' && schema.maxLength !== undefined && value.length > schema.maxLength) return false;
  if (schema.type === 'string' && schema.pattern && !new RegExp(schema.pattern).test(value)) return false;
  return undefined;
}

describe('hostile query strings and path parameters', () => {
  let server: WatchedServer;
  let ops: Operation[];
  let sender: Sender;
  let fixtures: Record<string, string>;
  let doc: Record<string, any>;

  beforeAll(async () => {
    server = await startWatched();
    doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Record<string, any>;
    ops = operations(doc as never).filter((o) => (o.op.parameters ?? []).length > 0);
    fixtures = await createFixtures(server.url);
    sender = createSender(server);
  });
  afterAll(() => server?.close());

  const bodyFor = (o: Operation) => {
    const schema = o.op.requestBody?.content?.['application/json']?.schema;
    return schema ? Buffer.from(JSON.stringify(fc.sample(validOf(schema, doc), { numRuns: 1, seed: 1 })[0])) : undefined;
  };

  const jsonType = (body: Buffer | undefined): Record<string, string> => (body ? { 'content-type': 'application/json' } : {});

  it('answers each without a 5xx, names the parameter its schema refuses, and writes nothing for a rejection', async () => {
    const failures: string[] = [];
    const tried: string[] = [];
    let total = 0;
    let refused = 0;
    let rejected = 0;
    for (const o of ops) {
      const params = (o.op.parameters as { name: string; in: string; schema: Record<string, any> }[]).filter((p) => p.in === 'query' || p.in === 'path');
      const body = bodyFor(o);
      const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
      let n = 0;
      const property = fc.asyncProperty(fc.constantFrom(...params), hostileRaw, fc.boolean(), fc.nat(), async (p, v, useTrick, pick) => {
        n++;
        const base = pathFor(o.path, fixtures);
        let path: string;
        let judged: boolean | undefined;
        if (p.in === 'path') {
          path = o.path.replace(`{${p.name}}`, v.raw.replace(/[/?#]/g, encodeURIComponent));
          path = pathFor(path, fixtures);
        } else if (useTrick) {
          path = `${base}?${fc.sample(trick(p.name), { numRuns: 1, seed: pick })[0]}`;
        } else {
          path = `${base}?${p.name}=${v.raw}`;
          judged = v.plain === undefined ? undefined : accepts(p.schema, v.plain);
        }
        // A blocking query (index) legitimately waits (30 s by default): one second is enough to see it answer.
        if (p.in === 'query' && p.name !== 'wait' && params.some((q) => q.name === 'wait')) path += '&wait=1s';
        const { status, fields } = await sender.send(o, path, body, headers, `${p.in} ${p.name}: ${path.slice(0, 120)}`);
        if (judged === false) refused++;
        if (status >= 400) rejected++;
        if (judged === false && status !== 400) throw new Error(`${o.method} ${path.slice(0, 120)}: ${status}, though ${p.name}'s schema refuses it`);
        if (judged === false && !fields.includes(p.name)) throw new Error(`${o.method} ${path.slice(0, 120)}: named [${fields.join(', ')}], not ${p.name}`);
      });
      try {
        await fc.assert(property, { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) });
      } catch (error) {
        failures.push(`${o.method} ${o.path}: ${failureOf(error)}`);
      }
      total += n;
      tried.push(`${o.method} ${o.path}: ${n}`);
    }
    console.info(`[hardening] hostile parameters: ${ops.length} operations, ${total} requests, ${rejected} rejected, ${refused} of them by the parameter's declared schema\n  ${tried.join('\n  ')}`);
    expect(failures).toEqual([]);
    // The tricks above try to reach Object.prototype through the query parser.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers names that are keys of every object (__proto__, constructor) as any other unknown name', async () => {
    const wrong: string[] = [];
    for (const o of ops.filter((op) => op.path.includes('{'))) {
      for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf']) {
        const path = o.path.replace(/\{[^}]+\}/g, name);
        const res = await sender.send(o, path, bodyFor(o), jsonType(bodyFor(o)), `${name} as a path parameter`).catch((e: Error) => ({ status: 0, fields: [e.message] }));
        if (res.status !== 404 && res.status !== 400) wrong.push(`${o.method} ${path} → ${res.status} ${res.fields.join(', ')}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
