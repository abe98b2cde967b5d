import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, sqliteStores, type SqliteStores } from './index.js';

const opened: SqliteStores[] = [];
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

const T = (s: number) => new Date(Date.parse('2026-02-01T00:00:00.000Z') + s * 1000).toISOString();

/** A file as the release before the alerts queue left it: deliveries with the old statuses. */
function fileWithOldDeliveries(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'aetherlink-queue-')), 'old.db');
  const db = new Database(path);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const statuses = MIGRATIONS.find((m) => m.name === 'delivery statuses of the alerts queue, endpoint ids, attempt bodies')!.version;
  for (const m of MIGRATIONS.filter((m) => m.version < statuses)) {
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(m.version, m.name, T(0));
  }
  const insert = db.prepare(
    `INSERT INTO deliveries (id, webhook_id, endpoint, payload, headers, status, attempts, max_attempts, next_attempt_at, lease_owner, leased_until,
       last_error, last_status_code, event_type, event_id, rule_id, tenantid, replay_of, created_at, updated_at, delivered_at)
     VALUES (?, ?, 'https://hook.example/x', '{"n":1}', '{}', ?, ?, 8, ?, ?, ?, ?, NULL, NULL, NULL, NULL, NULL, NULL, ?, ?, NULL)`,
  );
  insert.run('d-pending', 'd-pending', 'pending', 0, T(10), null, null, null, T(1), T(1));
  insert.run('d-failed', 'd-failed', 'failed', 2, T(20), null, null, 'HTTP 503', T(2), T(2));
  insert.run('d-leased', 'd-leased', 'leased', 1, T(5), 'old-owner', T(30), null, T(3), T(3));
  insert.run('d-dead', 'd-dead', 'dead_letter', 8, null, null, null, 'HTTP 500', T(4), T(4));
  db.prepare("INSERT INTO delivery_attempts (delivery_id, attempt, at, duration_ms, status_code, error) VALUES ('d-failed', 1, ?, 5, 503, 'HTTP 503')").run(T(2));
  db.close();
  return path;
}

describe('sqlite delivery queue migration', () => {
  it('renames the old statuses in place, and the migrated rows keep their place in the queue', async () => {
    const stores = sqliteStores({ path: fileWithOldDeliveries() });
    opened.push(stores);
    const q = stores.deliveries;
    expect((await q.get('d-failed'))!).toMatchObject({ status: 'retrying', attempts: 2, endpoint_id: null, last_error: 'HTTP 503' });
    expect((await q.get('d-failed'))!.attempt_log).toEqual([{ attempt: 1, at: T(2), duration_ms: 5, status_code: 503, error: 'HTTP 503', response_body: null }]);
    expect((await q.get('d-leased'))!).toMatchObject({ status: 'delivering', lease_owner: 'old-owner' });
    expect((await q.stats(Date.parse(T(100)))).by_status).toEqual({ pending: 1, delivering: 1, delivered: 0, retrying: 1, dead_letter: 1, cancelled: 0 });
    // Due order: the pending item (T10), the retry (T20), then the held one once its lease ran out (T30).
    const leased = await q.lease({ owner: 'new', now: Date.parse(T(100)), leaseMs: 60_000, limit: 10 });
    expect(leased.map((d) => d.id)).toEqual(['d-pending', 'd-failed', 'd-leased']);
    expect(await q.releaseExpired(Date.parse(T(1000)))).toBe(3);
    expect((await q.get('d-leased'))!.status).toBe('retrying');
    expect(stores.db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
  });
});

describe('sqlite migrations and the WAL', () => {
  it('folds the schema changes into the file at open, so a new file carries no schema-sized WAL', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'aetherlink-wal-')), 'new.db');
    const stores = sqliteStores({ path });
    opened.push(stores);
    // Only the open counter's write is left in the WAL: a page or two, not the ~270 KB the migrations wrote.
    expect(statSync(`${path}-wal`).size).toBeLessThan(32 * 1024);
    expect(statSync(path).size).toBeGreaterThan(100 * 1024);
  });
});
