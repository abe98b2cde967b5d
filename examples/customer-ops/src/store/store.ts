import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { translateError } from '@aetherlink/adapters/sqlite';
import { AetherError, decodeCursor, encodeCursor, systemClock, uuidv7, type Clock } from '@aetherlink/core';
import Database from 'better-sqlite3';
import type { Activity, ActivityInput, ActivityPatch, ActivityQuery, Lead, LeadInput, LeadPatch, LeadQuery, Page } from '../schemas.js';
import { migrate } from './migrations.js';
import { outboxTable, type OutboxTable } from './outbox.js';

export interface CrmStoreOptions {
  /** File path, or `:memory:`. */
  path: string;
  clock?: Clock;
}

/** An event to commit with a change; built from the row the change wrote. */
export type EventFor<T> = (row: T) => ({ type: string } & Record<string, unknown>) | undefined;

export interface CrmStore {
  readonly schemaVersion: number;
  readonly outbox: OutboxTable;
  /** Creates a lead; `event` (if given) is committed to the outbox in the same transaction. */
  createLead(input: LeadInput, event?: EventFor<Lead>): Lead;
  getLead(id: string): Lead | undefined;
  updateLead(id: string, patch: LeadPatch): Lead | undefined;
  listLeads(query: LeadQuery): Page<Lead>;
  countLeads(): number;
  /** Undefined when the lead does not exist. */
  createActivity(leadId: string, input: ActivityInput): Activity | undefined;
  getActivity(id: string): Activity | undefined;
  updateActivity(id: string, patch: ActivityPatch): Activity | undefined;
  listActivities(query: ActivityQuery): Page<Activity>;
  /** The lead's latest activities by when they occurred, for a summary. */
  recentActivities(leadId: string, limit: number): Activity[];
  ping(): void;
  close(): void;
}

const LEAD_COLUMNS = 'id, name, email, company, phone, status, source, owner, notes, created_at, updated_at';
const ACTIVITY_COLUMNS = 'id, lead_id, type, note, occurred_at, created_at, updated_at';
type Row = Record<string, unknown> & { seq: number };

/**
 * The CRM's own store: leads, activities and the event outbox in one SQLite file (WAL, migrations at open).
 * @example const store = openCrmStore({ path: './data/customer-ops.db' }); store.createLead({ name: 'Ann', email: 'ann@acme.io', status: 'new', source: 'manual' })
 */
export function openCrmStore(options: CrmStoreOptions): CrmStore {
  const clock = options.clock ?? systemClock;
  const path = options.path === ':memory:' ? ':memory:' : resolve(options.path);
  let db: Database.Database;
  let schemaVersion: number;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    schemaVersion = migrate(db);
  } catch (error) {
    if (error instanceof AetherError) throw error;
    throw new AetherError('config_invalid', `the CRM database ${path} cannot be opened: ${(error as Error).message}; check CRM_DB`, { cause: error });
  }
  const outbox = outboxTable(db);
  const now = () => new Date(clock.now()).toISOString();
  const write = <T>(fn: () => T): T => {
    try {
      return db.transaction(fn).immediate();
    } catch (error) {
      throw translateError(error);
    }
  };

  const leadById = db.prepare(`SELECT ${LEAD_COLUMNS} FROM leads WHERE id = ?`);
  const activityById = db.prepare(`SELECT ${ACTIVITY_COLUMNS} FROM activities WHERE id = ?`);
  const insertLead = db.prepare(`INSERT INTO leads (${LEAD_COLUMNS}) VALUES (@id, @name, @email, @company, @phone, @status, @source, @owner, @notes, @created_at, @updated_at)`);
  const insertActivity = db.prepare(`INSERT INTO activities (${ACTIVITY_COLUMNS}) VALUES (@id, @lead_id, @type, @note, @occurred_at, @created_at, @updated_at)`);

  const getLead = (id: string) => leadById.get(id) as Lead | undefined;
  const getActivity = (id: string) => activityById.get(id) as Activity | undefined;

  // Only known columns reach the SQL text; values are always bound.
  const patch = (table: 'leads' | 'activities', id: string, fields: Record<string, unknown>) => {
    const columns = Object.keys(fields).filter((k) => fields[k] !== undefined);
    const sets = [...columns.map((c) => `${c} = @${c}`), 'updated_at = @updated_at'].join(', ');
    return db.prepare(`UPDATE ${table} SET ${sets} WHERE id = @id`).run({ ...fields, id, updated_at: now() }).changes > 0;
  };

  return {
    schemaVersion,
    outbox,
    createLead(input, event) {
      return write(() => {
        const at = now();
        const lead: Lead = { id: uuidv7(clock.now()), company: null, phone: null, owner: null, notes: null, ...input, created_at: at, updated_at: at };
        insertLead.run(lead);
        const e = event?.(lead);
        if (e) outbox.append(e);
        return lead;
      });
    },
    getLead,
    updateLead: (id, fields) => write(() => (patch('leads', id, fields) ? getLead(id) : undefined)),
    listLeads(q) {
      const where: string[] = [];
      const args: Record<string, unknown> = { limit: q.limit + 1 };
      if (q.status) (where.push('status = @status'), (args.status = q.status));
      if (q.source) (where.push('source = @source'), (args.source = q.source));
      if (q.owner) (where.push('owner = @owner'), (args.owner = q.owner));
      if (q.company) (where.push('company = @company COLLATE NOCASE'), (args.company = q.company));
      if (q.q) {
        where.push("(name LIKE @q ESCAPE '\\' OR email LIKE @q ESCAPE '\\' OR company LIKE @q ESCAPE '\\')");
        args.q = `%${q.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      }
      return page<Lead>('leads', LEAD_COLUMNS, where, args, q.cursor, q.limit);
    },
    countLeads: () => (db.prepare('SELECT count(*) AS n FROM leads').get() as { n: number }).n,
    createActivity(leadId, input) {
      return write(() => {
        if (!getLead(leadId)) return undefined;
        const at = now();
        const activity: Activity = { id: uuidv7(clock.now()), lead_id: leadId, type: input.type, note: input.note, occurred_at: iso(input.occurred_at) ?? at, created_at: at, updated_at: at };
        insertActivity.run(activity);
        return activity;
      });
    },
    getActivity,
    updateActivity: (id, fields) =>
      write(() => (patch('activities', id, { ...fields, ...(fields.occurred_at ? { occurred_at: iso(fields.occurred_at) } : {}) }) ? getActivity(id) : undefined)),
    listActivities(q) {
      const where: string[] = [];
      const args: Record<string, unknown> = { limit: q.limit + 1 };
      if (q.lead_id) (where.push('lead_id = @lead_id'), (args.lead_id = q.lead_id));
      if (q.type) (where.push('type = @type'), (args.type = q.type));
      if (q.since) (where.push('occurred_at >= @since'), (args.since = iso(q.since)));
      return page<Activity>('activities', ACTIVITY_COLUMNS, where, args, q.cursor, q.limit);
    },
    recentActivities: (leadId, limit) =>
      db.prepare(`SELECT ${ACTIVITY_COLUMNS} FROM activities WHERE lead_id = ? ORDER BY occurred_at DESC, seq DESC LIMIT ?`).all(leadId, limit) as Activity[],
    ping: () => void db.prepare('SELECT 1').get(),
    close: () => db.close(),
  };

  // Newest first by insertion; the cursor is the last row's sequence number.
  function page<T>(table: string, columns: string, where: string[], args: Record<string, unknown>, cursor: string | undefined, limit: number): Page<T> {
    if (cursor !== undefined) (where.push('seq < @before'), (args.before = decodeCursor(cursor)));
    const sql = `SELECT seq, ${columns} FROM ${table} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    const rows = db.prepare(sql).all(args) as Row[];
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(({ seq: _seq, ...item }) => item as T), next_cursor: rows.length > limit && last ? encodeCursor(last.seq) : null };
  }
}

// Times are stored as UTC ISO strings, so comparing them as text orders them in time.
function iso(value: string | undefined): string | undefined {
  return value === undefined ? undefined : new Date(value).toISOString();
}
