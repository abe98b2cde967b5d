import { isAetherError, type AetherError, type StoredEvent } from '@aetherlink/core';
import { eventually, makeDeliveryInput, makeEvent, makeService } from '@aetherlink/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPostgres, type PostgresServer } from '../../../../../test/postgres-server.js';
import { isConnectionFailure, redact, toStoreError } from './errors.js';
import { openPostgresStores, postgresStores, type PostgresStores } from './stores.js';
import { dropSchema, sql, testDatabaseUrl, uniqueSchema, within } from '../../../../../test/postgres.js';

const SECRET = 'hunter2-Secret';
const RECEIVED = '2026-01-01T00:00:01.000Z';

const withPassword = (url: string, user = 'postgres', database?: string) => {
  const u = new URL(url);
  u.username = user;
  u.password = SECRET;
  if (database) u.pathname = `/${database}`;
  return u.toString();
};

async function rejection(promise: Promise<unknown>): Promise<AetherError> {
  try {
    await promise;
  } catch (error) {
    if (isAetherError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

const expectNoSecret = (error: AetherError) => {
  expect(error.message).not.toContain(SECRET);
  expect(JSON.stringify(error.toJSON())).not.toContain(SECRET);
};

describe('opening fails fast with a clear error', () => {
  it('names host:port and the database when nothing listens there', async () => {
    const port = await freePort();
    const error = await rejection(openPostgresStores({ connectionString: `postgres://app:${SECRET}@127.0.0.1:${port}/aetherdb`, connectTimeoutMs: 2000 }));
    expect(error.code).toBe('unavailable');
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain('"aetherdb"');
    expect(error.message).toMatch(/ECONNREFUSED/);
    expectNoSecret(error);
  });

  it('names the database when it does not exist', async () => {
    const url = withPassword(testDatabaseUrl(), 'postgres', 'no_such_db');
    const error = await rejection(openPostgresStores({ connectionString: url }));
    expect(error.code).toBe('config_invalid');
    expect(error.message).toMatch(/has no database "no_such_db"/);
    expect(error.message).toContain(`${new URL(url).hostname}:${new URL(url).port}`);
    expectNoSecret(error);
  });

  it('names the user and database when the login is refused', async () => {
    await sql(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'al_nologin') THEN CREATE ROLE al_nologin NOLOGIN; END IF; END $$`);
    for (const user of ['al_nologin', 'al_ghost_user']) {
      const error = await rejection(openPostgresStores({ connectionString: withPassword(testDatabaseUrl(), user) }));
      expect(error.code).toBe('config_invalid');
      expect(error.message).toContain(`refused user "${user}"`);
      expectNoSecret(error);
    }
  });

  it('refuses a connection string that is not a URL, without repeating it', () => {
    let error: unknown;
    try {
      postgresStores({ connectionString: `host=db password=${SECRET}` });
    } catch (e) {
      error = e;
    }
    expect(isAetherError(error) && error.code).toBe('config_invalid');
    expectNoSecret(error as AetherError);
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => postgresStores({ connectionString: testDatabaseUrl(), schema: 'bad-name; DROP' })).toThrow(/schema/);
  });
});

describe('error mapping', () => {
  const target = { host: 'db.internal', port: 5432, database: 'app', user: 'app', password: SECRET };

  it('maps connection failures to unavailable and leaves other errors alone', () => {
    const refused = Object.assign(new Error(`connect ECONNREFUSED 10.0.0.1:5432`), { code: 'ECONNREFUSED' });
    const dual = Object.assign(new AggregateError([refused, refused]), { code: 'ECONNREFUSED' });
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
    const lost = new Error('Connection terminated unexpectedly');
    const poolTimeout = new Error('timeout exceeded when trying to connect');
    const unique = Object.assign(new Error('duplicate key'), { code: '23505', severity: 'ERROR' });
    for (const e of [refused, dual, shutdown, lost, poolTimeout]) {
      expect(isConnectionFailure(e)).toBe(true);
      const mapped = toStoreError(e, target) as AetherError;
      expect(mapped.code).toBe('unavailable');
      expect(mapped.message).toMatch(/^the database is unreachable: .+ \(db\.internal:5432\/app\)$/);
    }
    expect(isConnectionFailure(unique)).toBe(false);
    expect(toStoreError(unique, target)).toBe(unique);
    const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014', severity: 'ERROR' });
    expect((toStoreError(cancelled, target) as AetherError).code).toBe('timeout');
  });

  it('scrubs passwords from messages', () => {
    expect(redact(`could not connect to postgres://app:${SECRET}@db:5432/app`, SECRET)).toBe('could not connect to postgres://app:***@db:5432/app');
    expect(redact(`password was ${SECRET}`, SECRET)).toBe('password was ***');
  });

  it('answers timeout when a statement runs past statementTimeoutMs', async () => {
    const schema = uniqueSchema('err');
    const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, statementTimeoutMs: 300 });
    const locker = new pg.Client({ connectionString: testDatabaseUrl() });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT * FROM "${schema}".registry_version FOR UPDATE`);
      const error = await rejection(stores.registry.upsert(makeService({ name: 'slow' })));
      expect(error.code).toBe('timeout');
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
      await stores.close();
      await dropSchema(schema);
    }
  });

  it('answers unavailable once closed', async () => {
    const schema = uniqueSchema('err');
    const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema });
    await stores.close();
    expect((await rejection(stores.documents.list({ name: 'alert_rules' }))).code).toBe('unavailable');
    await dropSchema(schema);
  });
});

// A server of its own: stopping it must not disturb the other tests.
describe('when the database goes away and comes back', () => {
  let server: PostgresServer;
  let a: PostgresStores;
  let b: PostgresStores;

  beforeAll(async () => {
    server = await startPostgres({ label: 'outage' });
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await server?.destroy();
  }, 60_000);

  it('answers unavailable while it is down and recovers by itself when it is back', async () => {
    const url = withPassword(server.connectionString);
    a = await openPostgresStores({ connectionString: url, schema: 'outage', instanceId: 'out-a', connectTimeoutMs: 2000 });
    b = await openPostgresStores({ connectionString: url, schema: 'outage', instanceId: 'out-b', connectTimeoutMs: 2000 });
    const seen: StoredEvent[] = [];
    b.events.watch((e) => seen.push(e));
    await within(b.events.listening(), 5000, 'LISTEN');
    await a.events.append(makeEvent({ id: 'before' }), RECEIVED);
    await a.deliveries.enqueue(makeDeliveryInput(), Date.now());
    await eventually(() => seen.length === 1, 'B sees the first event');

    await server.stop();
    const failures = await Promise.all([
      rejection(a.events.append(makeEvent({ id: 'during' }), RECEIVED)),
      rejection(a.registry.list()),
      rejection(a.deliveries.lease({ owner: 'w', now: Date.now(), leaseMs: 1000, limit: 5 })),
      rejection(a.events.stats(Date.now())),
      rejection(a.heal.count()),
    ]);
    for (const error of failures) {
      expect(error.code).toBe('unavailable');
      expect(error.message).toContain(`127.0.0.1:${server.port}/postgres`);
      expectNoSecret(error);
    }

    await server.start();
    // The same stores, not reopened: the pool drops dead connections and opens new ones.
    await eventually(async () => (await a.registry.list()).length === 0, 'a query to succeed again', 15_000, 100);
    const after = await a.events.append(makeEvent({ id: 'after' }), RECEIVED);
    expect(after.inserted).toBe(true);
    expect((await a.deliveries.lease({ owner: 'w', now: Date.now(), leaseMs: 1000, limit: 5 })).length).toBe(1);
    // B's watcher reconnected on its own and picks the event up (by NOTIFY or by catch-up).
    await eventually(() => seen.some((e) => e.id === 'after'), 'B to see events again', 15_000, 50);
    expect(seen.some((e) => e.id === 'during')).toBe(false);
  }, 60_000);
});
