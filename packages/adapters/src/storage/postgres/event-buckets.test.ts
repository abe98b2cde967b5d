import { makeEvent } from '@aetherlink/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { bucketsSql } from './event-buckets.js';
import { openPostgresStores, type PostgresStores } from './stores.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../../../../../test/postgres.js';

let stores: PostgresStores | undefined;
let client: pg.Client | undefined;
const schema = uniqueSchema('buckets');
afterEach(async () => {
  await client?.end();
  await stores?.close();
  await dropSchema(schema);
});

describe('postgres bucketed event counts', () => {
  it('can count with an index-only scan of the (time, severity) index', async () => {
    stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, poolSize: 2 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => stores!.events.append(makeEvent({ time: new Date(Date.parse('2026-03-01T12:00:00Z') + i * 1000).toISOString() }), '2026-03-01T12:00:00.000Z')));
    client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    await client.query(`VACUUM ANALYZE "${schema}".events`);
    // A table this small is cheapest to read whole; with that off, the planner shows the index covers the query.
    await client.query('SET enable_seqscan = off');
    await client.query('SET enable_bitmapscan = off');
    await client.query(`PREPARE buckets(bigint, bigint, timestamptz, timestamptz) AS ${bucketsSql(`"${schema}".events`)}`);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE buckets(${Date.parse('2026-03-01T12:00:00Z')}, 60000, '2026-03-01T12:00:00Z', '2026-03-01T12:02:00Z')`);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    expect(plan, plan).toMatch(/Index Only Scan using events_time_severity_idx/);
  });
});
