import { isAetherError } from '@aetherlink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './pool.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../../../../../test/postgres.js';

let db: Database | undefined;
let schema = '';
afterEach(async () => {
  await db?.close();
  db = undefined;
  await dropSchema(schema);
});

describe('openDatabase transactions', () => {
  it('runs a transaction again when PostgreSQL breaks a deadlock by aborting it', async () => {
    schema = uniqueSchema('pool');
    db = openDatabase({ connectionString: testDatabaseUrl(), schema, poolSize: 4 });
    await db.ready();
    const table = db.t('deadlock_probe');
    await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL)`);
    await db.query(`INSERT INTO ${table} VALUES (1, 0), (2, 0)`);

    // Both transactions lock their first row, wait until the other has too, then reach for the other's row.
    let locked = 0;
    const bothLocked = async () => {
      locked++;
      const deadline = Date.now() + 5000;
      while (locked < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    const runs = { a: 0, b: 0 };
    const tx = (name: 'a' | 'b', first: number, second: number) =>
      db!.transaction(async (client) => {
        runs[name]++;
        await client.query(`UPDATE ${table} SET n = n + 1 WHERE id = $1`, [first]);
        if (runs[name] === 1) await bothLocked();
        await client.query(`UPDATE ${table} SET n = n + 1 WHERE id = $1`, [second]);
        return name;
      });
    expect(await Promise.all([tx('a', 1, 2), tx('b', 2, 1)])).toEqual(['a', 'b']);
    // At least one was chosen as a deadlock victim, rolled back and run again (rarely the retry meets a second
    // deadlock, which is retried too); each row moved exactly twice, so no rolled-back attempt left a trace.
    expect(runs.a + runs.b).toBeGreaterThanOrEqual(3);
    expect((await db.query<{ n: number }>(`SELECT n FROM ${table} ORDER BY id`)).rows).toEqual([{ n: 2 }, { n: 2 }]);
  });

  it('rolls back and rethrows errors that are not worth retrying', async () => {
    schema = uniqueSchema('pool');
    db = openDatabase({ connectionString: testDatabaseUrl(), schema });
    await db.ready();
    const table = db.t('rollback_probe');
    await db.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`);
    let runs = 0;
    await expect(
      db.transaction(async (client) => {
        runs++;
        await client.query(`INSERT INTO ${table} VALUES (1)`);
        await client.query(`INSERT INTO ${table} VALUES (1)`);
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(runs).toBe(1);
    expect((await db.query(`SELECT * FROM ${table}`)).rows).toEqual([]);
  });

  it('answers unavailable after close', async () => {
    schema = uniqueSchema('pool');
    db = openDatabase({ connectionString: testDatabaseUrl(), schema });
    await db.ready();
    await db.close();
    const error = await db.query('SELECT 1').catch((e: unknown) => e);
    expect(isAetherError(error) && error.code).toBe('unavailable');
  });
});
