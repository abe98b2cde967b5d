// Issue #17, item 2: hostile request bodies generated from each operation's JSON Schema in the served /openapi.json
// (fast-check): wrong types, huge strings, deep nesting, prototype keys, invalid UTF-8, lone surrogates, NUL, bodies
// over the limit, content types the route does not take. Each answers 4xx problem+json naming the field, nothing
// is committed to the database for a rejected request, and nothing answers 500.
import type { AnyRouteSpec } from '@aetherlink/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createFixtures, pathFor } from './fixtures.js';
import { operations, startWatched, type Operation, type WatchedServer } from './harness.js';
import { mutate, namesField, type Hostile } from './mutate.js';
import { mutation, validOf } from './schema-arbitrary.js';
import { createSender, failureOf, type Sender } from './sender.js';

vi.setConfig({ testTimeout: 240_000 });

const RUNS = Number(process.env.HARDENING_RUNS ?? 40);
const SEED = process.env.HARDENING_SEED ? Number(process.env.HARDENING_SEED) : undefined;
const LIMIT = 64 * 1024;

describe('hostile bodies on every operation that takes one', () => {
  let server: WatchedServer;
  let doc: Record<string, any>;
  let ops: Operation[];
  let sender: Sender;
  let fixtures: Record<string, string>;

  beforeAll(async () => {
    server = await startWatched();
    doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as Record<string, any>;
    ops = operations(doc as never).filter((o) => o.op.requestBody?.content?.['application/json']);
    fixtures = await createFixtures(server.url);
    sender = createSender(server);
  });
  afterAll(() => server?.close());

  const specOf = (o: Operation): AnyRouteSpec => server.cc.routes.find((r) => r.method === o.method && r.path === o.path)!;
  const send = (o: Operation, bytes: Buffer, headers: Record<string, string>, label: string) => sender.send(o, pathFor(o.path, fixtures), bytes, headers, label);

  it('answers generated hostile bodies with 4xx problem+json naming the field, and stores nothing from them', async () => {
    const failures: string[] = [];
    const tried: string[] = [];
    let total = 0;
    for (const o of ops) {
      const oracle = (specOf(o).openapi?.requestBody ?? specOf(o).body)!;
      const schema = o.op.requestBody.content['application/json'].schema;
      let n = 0;
      let rejected = 0;
      let validBases = 0;
      const property = fc.asyncProperty(validOf(schema, doc), mutation, async (base, m) => {
        n++;
        const hostile: Hostile = mutate(base, m, specOf(o).bodyLimit ?? LIMIT);
        const { status, fields } = await send(o, hostile.bytes, { 'content-type': 'application/json' }, hostile.label);
        const baseValid = oracle.safeParse(base).success;
        if (status >= 400) rejected++;
        if (baseValid) validBases++;
        const parsed = hostile.parsed === undefined ? undefined : oracle.safeParse(hostile.parsed);
        // Refused by the parser, whatever the schema: not JSON of an object, prototype keys, bad bytes, too large.
        if (hostile.parsed === undefined && hostile.label !== 'unchanged') {
          if (status < 400) throw new Error(`${o.method} ${o.path} accepted ${hostile.label} (${status})`);
          if (m.kind === 'oversize' && status !== 413) throw new Error(`${o.method} ${o.path}: ${hostile.label} answered ${status}, not 413`);
          return;
        }
        if (parsed && !parsed.success) {
          if (status !== 400) throw new Error(`${o.method} ${o.path} answered ${status} to ${hostile.label}, which its schema refuses`);
          if (baseValid && !namesField(fields, hostile.field)) throw new Error(`${o.method} ${o.path}: ${hostile.label} answered naming [${fields.join(', ')}], not ${hostile.field}`);
        }
      });
      try {
        await fc.assert(property, { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) });
      } catch (error) {
        failures.push(`${o.method} ${o.path}: ${failureOf(error)}`);
      }
      total += n;
      tried.push(`${o.method} ${o.path}: ${n} (${rejected} rejected, ${validBases} from a body its schema accepts)`);
    }
    console.info(`[hardening] hostile bodies: ${ops.length} operations, ${total} requests (${RUNS} runs each, more where a failure shrank)\n  ${tried.join('\n  ')}`);
    expect(failures).toEqual([]);
  });

  it('answers 415 naming content-type for each type a route does not take, and stores nothing', async () => {
    const types = ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/octet-stream', 'text/json'];
    const wrong: string[] = [];
    for (const o of ops) {
      const schema = o.op.requestBody.content['application/json'].schema;
      const [base] = fc.sample(validOf(schema, doc), { numRuns: 1, ...(SEED === undefined ? {} : { seed: SEED }) });
      for (const type of types) {
        const judged = await send(o, Buffer.from(JSON.stringify(base)), { 'content-type': type }, `content-type ${type}`).catch((e: Error) => ({ status: 0, fields: [e.message] }));
        if (judged.status !== 415 || !judged.fields.includes('content-type')) wrong.push(`${o.method} ${o.path} as ${type} → ${judged.status} [${judged.fields.join(', ')}]`);
      }
      const none = await send(o, Buffer.from(JSON.stringify(base)), {}, 'no content-type').catch((e: Error) => ({ status: 0, fields: [e.message] }));
      if (none.status !== 415) wrong.push(`${o.method} ${o.path} without a content-type → ${none.status} [${none.fields.join(', ')}]`);
    }
    expect(wrong).toEqual([]);
  });
});
