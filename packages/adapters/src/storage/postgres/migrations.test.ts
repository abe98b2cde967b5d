import { alertRulesCollection, collection } from '@aetherlink/core';
import { rejection } from '@aetherlink/core/testing';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';
import { openPostgresStores, type PostgresStores } from './stores.js';
import { dropSchema, sql, testDatabaseUrl, uniqueSchema } from '../../../../../test/postgres.js';

let schema = '';
let pools: pg.Pool[] = [];
let opened: PostgresStores[] = [];
afterEach(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await Promise.all(pools.map((p) => p.end()));
  opened = [];
  pools = [];
  await dropSchema(schema);
});

const newPool = () => {
  const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max: 2 });
  pools.push(pool);
  return pool;
};

const applied = async () => (await sql<{ version: number }>(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`)).map((r) => r.version);

describe('postgres migrations', () => {
  it('lets several instances open a fresh schema at once, applying each version exactly once', async () => {
    schema = uniqueSchema('mig');
    const all = await Promise.all(Array.from({ length: 6 }, (_, i) => openPostgresStores({ connectionString: testDatabaseUrl(), schema, instanceId: `m${i}`, poolSize: 2 })));
    opened.push(...all);
    expect(await applied()).toEqual(MIGRATIONS.map((m) => m.version));
    // Every instance works on the same tables.
    await all[0]!.documents.put({ name: 'shared' }, { id: 'one', data: { n: 1 } });
    expect((await all[5]!.documents.list({ name: 'shared' })).map((d) => d.data)).toEqual([{ n: 1 }]);
  });

  it('is idempotent: opening or migrating again changes nothing', async () => {
    schema = uniqueSchema('mig');
    opened.push(await openPostgresStores({ connectionString: testDatabaseUrl(), schema }));
    const first = await sql(`SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`);
    opened.push(await openPostgresStores({ connectionString: testDatabaseUrl(), schema }));
    expect(await migrate(newPool(), schema)).toEqual([]);
    expect(await sql(`SELECT version, applied_at FROM "${schema}".schema_migrations ORDER BY version`)).toEqual(first);
  });

  it('applies a new version once even when many processes race to it (it is not idempotent SQL)', async () => {
    schema = uniqueSchema('mig');
    await migrate(newPool(), schema);
    const next: Migration = { version: 100, name: 'extra', sql: (t) => `CREATE TABLE ${t('extra')} (id int PRIMARY KEY)` };
    const results = await Promise.all(Array.from({ length: 5 }, () => migrate(newPool(), schema, [...MIGRATIONS, next])));
    expect(results.filter((r) => r.length > 0)).toEqual([[100]]);
    expect(await applied()).toEqual([...MIGRATIONS.map((m) => m.version), 100]);
  });

  it('rolls a failing migration back entirely, leaving earlier versions in place', async () => {
    schema = uniqueSchema('mig');
    await migrate(newPool(), schema);
    const broken: Migration[] = [
      { version: 200, name: 'ok-part', sql: (t) => `CREATE TABLE ${t('half')} (id int)` },
      { version: 201, name: 'broken', sql: () => 'SELECT no_such_function()' },
    ];
    await expect(migrate(newPool(), schema, [...MIGRATIONS, ...broken])).rejects.toThrow(/no_such_function/);
    expect(await applied()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await sql(`SELECT to_regclass('"${schema}".half') AS t`)).toEqual([{ t: null }]);
  });

  it('moves existing rules into the alert_rules collection, keeping ids, times and unique names, and drops the old table', async () => {
    schema = uniqueSchema('mig');
    // The schema as the release before documents left it, with rules in the old table.
    await migrate(newPool(), schema, MIGRATIONS.filter((m) => m.version < 7));
    const insert = `INSERT INTO "${schema}".rules (id, name, enabled, spec, state, created_at, updated_at) VALUES ($1, $2, $3, $4::json, $5::json, $6, $7)`;
    const spec = { event_type: 'autoheal.failed', threshold: 3, nested: { group_by: ['service'] }, note: 'ü 🚀' };
    await sql(insert, ['r-1', 'spike', true, JSON.stringify(spec), null, '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
    await sql(insert, ['r-2', 'quiet', false, '{}', JSON.stringify({ firing_since: '2026-01-03T00:00:00.000Z' }), '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:01.000Z']);
    const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema });
    opened.push(stores);
    expect(await applied()).toEqual(MIGRATIONS.map((m) => m.version));
    const rules = collection(stores.documents, alertRulesCollection);
    expect(await rules.get('r-1')).toEqual({
      id: 'r-1',
      version: 1,
      data: { name: 'spike', enabled: true, spec, state: null },
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
    });
    expect((await rules.get('r-2'))!.data).toEqual({ name: 'quiet', enabled: false, spec: {}, state: { firing_since: '2026-01-03T00:00:00.000Z' } });
    expect((await rules.list({ where: { enabled: false } })).map((r) => r.data.name)).toEqual(['quiet']);
    expect((await rules.list()).map((r) => r.id)).toEqual(['r-1', 'r-2']);
    expect((await rejection(rules.create({ data: { name: 'spike', enabled: true, spec: {}, state: null } }))).details).toMatchObject({ conflict: 'unique', existing_id: 'r-1' });
    expect((await rules.update('r-2', (r) => ({ ...r, name: 'renamed' })))!.version).toBeGreaterThan(2);
    expect(await sql(`SELECT to_regclass('"${schema}".rules') AS t`)).toEqual([{ t: null }]);
  });

  it('creates an index for every filter the stores offer', async () => {
    schema = uniqueSchema('mig');
    await migrate(newPool(), schema);
    const rows = await sql<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE schemaname = $1', [schema]);
    const defs = rows.map((r) => r.indexdef.replace(/"/g, '').replace(`${schema}.`, ''));
    for (const wanted of [
      'events USING btree (type, seq)',
      'events USING btree (source, seq)',
      'events USING btree (severity, seq)',
      'events USING btree (tenantid, seq)',
      'events USING btree (time, severity)',
      'events USING btree (source, id)',
      'deliveries USING btree (due_at, id)',
      'deliveries USING btree (status, next_attempt_at)',
      'deliveries USING btree (created_at, id)',
      'deliveries USING btree (endpoint, created_at, id)',
      'deliveries USING btree (tenantid, created_at, id)',
      'deliveries USING btree (endpoint_id, created_at, id)',
      'delivery_attempts USING btree (endpoint_id, seq)',
      'audit_log USING btree (path, seq)',
      'audit_log USING btree (status, seq)',
      'audit_log USING btree (ts)',
      'heal_history USING btree (service, seq)',
      'heal_history USING btree (outcome, seq)',
      'services USING gin (tags)',
      'document_keys USING btree (collection, field, value, id)',
      'document_keys USING btree (collection, field, value) WHERE uniq',
    ]) {
      expect(defs.some((d) => d.includes(wanted)), wanted).toBe(true);
    }
  });

  it('moves the registry settings an older version kept in meta into columns, giving each record a revision', async () => {
    schema = uniqueSchema('mig');
    const settings = MIGRATIONS.find((m) => m.name === 'registry settings as columns, record revisions')!.version;
    await migrate(newPool(), schema, MIGRATIONS.filter((m) => m.version < settings));
    const check = { status: '200-399', body_path: 'status', body_ok: ['ok'] };
    const old = async (name: string, meta: Record<string, string>) =>
      sql(
        `INSERT INTO "${schema}".services (name, url, health_url, version, roles_required, tags, meta, status, status_since, registered_at, last_seen, lease_expires_at, last_check)
         VALUES ($1, 'http://x:1', 'http://x:1/ping', '1.0.0', '["operator"]', '["pay"]', $2::jsonb, 'ok', $3, $3, $3, $3, NULL)`,
        [name, JSON.stringify(meta), '2026-01-01T00:00:00.000Z'],
      );
    await old('billing', { team: 'ops', 'aetherlink.ttl_seconds': '30', 'aetherlink.check': JSON.stringify(check) });
    await old('legacy', {});
    // Edited by hand: values the registry never wrote read as absent, as they did before.
    await old('edited', { 'aetherlink.ttl_seconds': '1.5', 'aetherlink.check': '{not json' });
    await old('listed', { 'aetherlink.ttl_seconds': '-3', 'aetherlink.check': '["a"]' });

    expect(await migrate(newPool(), schema)).toEqual(MIGRATIONS.filter((m) => m.version >= settings).map((m) => m.version));
    const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema });
    opened.push(stores);
    const billing = await stores.registry.get('billing');
    expect(billing).toMatchObject({ meta: { team: 'ops' }, ttl_seconds: 30, check, tags: ['pay'], status: 'ok' });
    expect(await stores.registry.get('legacy')).toMatchObject({ meta: {}, ttl_seconds: null, check: null });
    expect(await stores.registry.get('edited')).toMatchObject({ meta: {}, ttl_seconds: null, check: null });
    expect(await stores.registry.get('listed')).toMatchObject({ meta: {}, ttl_seconds: null, check: null });
    const revisions = (await stores.registry.list()).map((r) => r.revision);
    expect(new Set(revisions).size).toBe(4);
    // Conditional writes work on migrated rows, and the next write moves past every migrated revision.
    const next = await stores.registry.patch('billing', { status: 'degraded' }, { ifRevision: billing!.revision });
    expect(next!.revision).toBeGreaterThan(Math.max(...revisions));
  });

  it("renames the delivery queue's old statuses in place, and the rows keep their place in the queue", async () => {
    schema = uniqueSchema('mig');
    const statuses = MIGRATIONS.find((m) => m.name === 'delivery statuses of the alerts queue, endpoint ids, attempt bodies')!.version;
    await migrate(newPool(), schema, MIGRATIONS.filter((m) => m.version < statuses));
    const T = (s: number) => new Date(Date.parse('2026-02-01T00:00:00.000Z') + s * 1000).toISOString();
    const old = (id: string, status: string, attempts: number, next: string | null, owner: string | null, until: string | null) =>
      sql(
        `INSERT INTO "${schema}".deliveries (id, webhook_id, endpoint, payload, headers, status, attempts, max_attempts, next_attempt_at, lease_owner,
           leased_until, created_at, updated_at) VALUES ($1, $1, 'https://hook.example/x', '{"n":1}', '{}', $2, $3, 8, $4, $5, $6, $7, $7)`,
        [id, status, attempts, next, owner, until, T(1)],
      );
    await old('d-pending', 'pending', 0, T(10), null, null);
    await old('d-failed', 'failed', 2, T(20), null, null);
    await old('d-leased', 'leased', 1, T(5), 'old-owner', T(30));
    await old('d-dead', 'dead_letter', 8, null, null, null);
    await sql(`INSERT INTO "${schema}".delivery_attempts (delivery_id, attempt, at, duration_ms, status_code, error) VALUES ('d-failed', 1, $1, 5, 503, 'HTTP 503')`, [T(2)]);

    expect(await migrate(newPool(), schema)).toEqual(MIGRATIONS.filter((m) => m.version >= statuses).map((m) => m.version));
    const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema });
    opened.push(stores);
    const q = stores.deliveries;
    expect(await q.get('d-failed')).toMatchObject({ status: 'retrying', attempts: 2, endpoint_id: null, attempt_log: [{ attempt: 1, status_code: 503, response_body: null }] });
    expect((await q.stats(Date.parse(T(100)))).by_status).toEqual({ pending: 1, delivering: 1, delivered: 0, retrying: 1, dead_letter: 1, cancelled: 0 });
    const leased = await q.lease({ owner: 'new', now: Date.parse(T(100)), leaseMs: 60_000, limit: 10 });
    expect(leased.map((d) => d.id)).toEqual(['d-pending', 'd-failed', 'd-leased']);
    // The old statuses are refused from now on.
    await expect(sql(`UPDATE "${schema}".deliveries SET status = 'failed' WHERE id = 'd-dead'`)).rejects.toThrow(/deliveries_status_check/);
  });

  it('keeps heal history written before attempts carried their why, probe and timings, and tallies it by query', async () => {
    schema = uniqueSchema('mig');
    const heal = MIGRATIONS.find((m) => m.name.startsWith('heal history: why'))!.version;
    await migrate(newPool(), schema, MIGRATIONS.filter((m) => m.version < heal));
    await sql(
      `INSERT INTO "${schema}".heal_history (id, ts, service, action, outcome, message, duration_ms, attempt) VALUES ('h-1', '2026-01-01T00:00:00.000Z', 'api', 'restart', 'succeeded', 'restarted', 1200, 1)`,
    );
    expect(await migrate(newPool(), schema)).toEqual(MIGRATIONS.filter((m) => m.version >= heal).map((m) => m.version));
    const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema });
    opened.push(stores);
    expect(await stores.heal.list({ limit: 5 })).toEqual([
      {
        id: 'h-1', ts: '2026-01-01T00:00:00.000Z', service: 'api', action: 'restart', outcome: 'succeeded', reason: '', message: 'restarted',
        probe: null, attempt: 1, delay_ms: null, detected_at: null, started_at: null, duration_ms: 1200, error: null,
      },
    ]);
    expect(await stores.heal.tally()).toEqual([{ service: 'api', outcome: 'succeeded', count: 1 }]);
    expect(await sql(`SELECT to_regclass('"${schema}".heal_counters') AS t`)).toEqual([{ t: null }]);
  });
});
