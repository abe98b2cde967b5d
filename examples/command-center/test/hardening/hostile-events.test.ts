// Issue #17, item 2, over the schema registry: for every event type GET /events/schema lists, data generated from the
// type's JSON Schema and then spoiled is refused with 400 naming `data.<field>` (or the body), and stores nothing;
// data the schema accepts is stored.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { operations, startWatched, type Operation, type WatchedServer } from './harness.js';
import { mutate, namesField } from './mutate.js';
import { mutation, validOf } from './schema-arbitrary.js';
import { createSender, failureOf, type Sender } from './sender.js';

vi.setConfig({ testTimeout: 240_000 });

const RUNS = Math.max(5, Math.round(Number(process.env.HARDENING_RUNS ?? 40) / 2));
const SEED = process.env.HARDENING_SEED ? Number(process.env.HARDENING_SEED) : undefined;

describe('hostile event data for every registered event type', () => {
  let server: WatchedServer;
  let publish: Operation;
  let sender: Sender;
  let types: { type: string; schema: Record<string, unknown> }[];

  beforeAll(async () => {
    server = await startWatched();
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as never;
    publish = operations(doc).find((o) => o.method === 'POST' && o.path === '/events/publish')!;
    const listed = (await (await fetch(`${server.url}/events/schema`, { headers: { 'x-user-roles': 'viewer' } })).json()) as { types: { type: string; schema: Record<string, unknown> }[] };
    types = listed.types;
    sender = createSender(server);
  });
  afterAll(() => server?.close());

  it('refuses spoiled data naming data.<field>, stores nothing from it, and stores what the schema accepts', async () => {
    expect(types.length).toBeGreaterThan(5);
    const failures: string[] = [];
    let total = 0;
    let stored = 0;
    for (const { type, schema } of types) {
      const zod = server.cc.bus.registry.get(type)!.schema!;
      let n = 0;
      const property = fc.asyncProperty(validOf(schema), mutation, fc.boolean(), async (data, m, spoil) => {
        n++;
        const id = `hardening-${type}-${total + n}`;
        const head = Buffer.from(`{"type":${JSON.stringify(type)},"source":"hardening","id":${JSON.stringify(id)},"data":`);
        const hostile = spoil ? mutate(data, m, 64 * 1024) : { bytes: Buffer.from(JSON.stringify(data)), field: '', label: 'data its schema accepts', parsed: data };
        const bytes = Buffer.concat([head, hostile.bytes, Buffer.from('}')]);
        const { status, fields } = await sender.send(publish, '/events/publish', bytes, { 'content-type': 'application/json' }, `${type}: ${hostile.label}`);
        const valid = hostile.parsed !== undefined && zod.safeParse(hostile.parsed).success;
        if (status === 200) stored++;
        if (valid && zod.safeParse(data).success && status !== 200) throw new Error(`${type}: ${hostile.label} was refused (${status} ${fields.join(', ')})`);
        if (!valid && hostile.label !== 'unchanged') {
          if (status < 400) throw new Error(`${type}: ${hostile.label} was stored (${status})`);
          const field = hostile.field === 'body' ? 'body' : hostile.field ? `data.${hostile.field}` : 'data';
          if (status === 400 && !namesField(fields, field) && !fields.includes('body')) throw new Error(`${type}: ${hostile.label} answered naming [${fields.join(', ')}], not ${field}`);
        }
      });
      try {
        await fc.assert(property, { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) });
      } catch (error) {
        failures.push(`${type}: ${failureOf(error)}`);
      }
      total += n;
    }
    console.info(`[hardening] hostile event data: ${types.length} registered types, ${total} publishes, ${stored} stored`);
    expect(failures).toEqual([]);
    expect(stored).toBeGreaterThan(0);
  });
});
