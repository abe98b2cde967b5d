import { isAetherError } from '@aetherlink/core';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../src/store/migrations.js';
import { openCrmStore } from '../src/store/store.js';
import { tempDb } from './helpers.js';

const lead = { name: 'Ann Lee', email: 'ann@acme.example', company: 'Acme', status: 'new', source: 'manual' } as const;

describe('the CRM store: its own SQLite file and migrations', () => {
  it('creates a fresh file at the newest schema version', () => {
    const store = openCrmStore({ path: tempDb() });
    expect(store.schemaVersion).toBe(Math.max(...MIGRATIONS.map((m) => m.version)));
    store.close();
  });

  it('upgrades a file written by the first version and keeps its leads', () => {
    const path = tempDb();
    const old = new Database(path);
    migrate(old, MIGRATIONS.slice(0, 1));
    old.prepare("INSERT INTO leads (id, name, email, status, source, created_at, updated_at) VALUES ('L1', 'Old Lead', 'old@lead.example', 'new', 'manual', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')").run();
    expect(old.pragma('user_version', { simple: true })).toBe(1);
    old.close();

    const store = openCrmStore({ path });
    expect(store.schemaVersion).toBe(2);
    expect(store.getLead('L1')).toMatchObject({ name: 'Old Lead', company: null });
    // The step 2 added works: the outbox.
    store.createLead(lead, () => ({ type: 'lead.created', id: 'e1' }));
    expect(store.outbox.pending()).toBe(1);
    store.close();
    // Opening again applies nothing twice.
    const again = openCrmStore({ path });
    expect(again.countLeads()).toBe(2);
    again.close();
  });

  it('refuses a file from a newer customer-ops, naming CRM_DB and both versions', () => {
    const path = tempDb();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    let caught: unknown;
    try {
      openCrmStore({ path });
    } catch (error) {
      caught = error;
    }
    expect(isAetherError(caught) && caught.code).toBe('config_invalid');
    expect((caught as Error).message).toMatch(/schema version 99, newer than this customer-ops knows \(2\).*CRM_DB/);
  });

  it('commits a lead and its event together, or neither', () => {
    const store = openCrmStore({ path: tempDb() });
    const created = store.createLead(lead, (l) => ({ type: 'lead.created', data: { lead_id: l.id } }));
    expect(store.outbox.head(10)).toEqual([expect.objectContaining({ type: 'lead.created', event: { type: 'lead.created', data: { lead_id: created.id } }, attempts: 0 })]);
    expect(() =>
      store.createLead({ ...lead, email: 'never@acme.example' }, () => {
        throw new Error('the event could not be built');
      }),
    ).toThrow('the event could not be built');
    expect(store.countLeads()).toBe(1);
    expect(store.outbox.pending()).toBe(1);
    store.close();
  });

  it('keeps outbox order, retries and dead letters apart', () => {
    const store = openCrmStore({ path: tempDb() });
    const a = store.outbox.append({ type: 'a' });
    const b = store.outbox.append({ type: 'b' });
    store.outbox.retryAt(a, 5000, 'the command center answered 503');
    expect(store.outbox.head(10).map((e) => [e.type, e.attempts, e.next_attempt_at])).toEqual([['a', 1, 5000], ['b', 0, 0]]);
    store.outbox.dead(b, 'the command center answered 400', '2025-11-04T00:00:00.000Z');
    store.outbox.sent(a);
    expect(store.outbox.pending()).toBe(0);
    expect(store.outbox.deadCount()).toBe(1);
    store.close();
  });
});
