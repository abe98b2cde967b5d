import type { RegistryFilter, RegistryStore, ServiceCheck, ServicePatch, ServiceRecord } from '@aetherlink/core';
import type { Database } from './pool.js';
import { int, isoOf, isoOrNull, json, timeParam, timeParamOrNull } from './rows.js';

/** A row as pg returns it: the record's fields, with timestamps as Dates. */
type ServiceRow = Omit<ServiceRecord, 'status_since' | 'registered_at' | 'last_seen' | 'lease_expires_at' | 'revision'> & {
  revision: string;
  status_since: Date;
  registered_at: Date;
  last_seen: Date;
  lease_expires_at: Date | null;
};

function recordOf(row: ServiceRow): ServiceRecord {
  return {
    name: row.name,
    url: row.url,
    health_url: row.health_url,
    version: row.version,
    roles_required: row.roles_required,
    tags: row.tags,
    meta: row.meta,
    ttl_seconds: row.ttl_seconds,
    check: row.check,
    status: row.status,
    status_since: isoOf(row.status_since),
    registered_at: isoOf(row.registered_at),
    last_seen: isoOf(row.last_seen),
    lease_expires_at: isoOrNull(row.lease_expires_at),
    last_check: row.last_check,
    revision: int(row.revision),
  };
}

// "check" is a reserved word.
const COLUMNS =
  'name, url, health_url, version, roles_required, tags, meta, ttl_seconds, "check", status, status_since, registered_at, last_seen, lease_expires_at, last_check, revision';

type Patchable = keyof ServicePatch;

// Each patchable field: its SQL type and how its value becomes a parameter.
const FIELDS: Record<Patchable, [string, (value: never) => unknown]> = {
  url: ['text', (v: string) => v],
  health_url: ['text', (v: string) => v],
  version: ['text', (v: string | null) => v],
  roles_required: ['jsonb', (v: string[]) => json(v)],
  tags: ['jsonb', (v: string[]) => json(v)],
  meta: ['jsonb', (v: Record<string, string>) => json(v)],
  ttl_seconds: ['integer', (v: number | null) => v],
  check: ['json', (v: Record<string, unknown> | null) => (v === null ? null : json(v))],
  status: ['text', (v: string) => v],
  status_since: ['timestamptz', (v: string) => timeParam(v, 'status_since')],
  last_seen: ['timestamptz', (v: string) => timeParam(v, 'last_seen')],
  lease_expires_at: ['timestamptz', (v: string | null) => timeParamOrNull(v, 'lease_expires_at')],
  last_check: ['jsonb', (v: ServiceCheck | null) => (v === null ? null : json(v))],
};

/**
 * Services in PostgreSQL. Every mutation bumps a version row in the same statement; the version update
 * depends on the mutation's result, so each statement locks the service row first and the version row second.
 * Revisions come from a sequence, drawn once the row is locked (an UPDATE that waited re-evaluates its SET on
 * the newer row), so each write of a record gets a number above the one before; a conditional write puts
 * `revision = $n` in its WHERE, which PostgreSQL checks again against the newer row after waiting.
 * @example const registry = createRegistry({ store: postgresRegistryStore(db), bus })
 */
export function postgresRegistryStore(db: Database): RegistryStore & { close(): Promise<void> } {
  const services = db.t('services');
  const version = db.t('registry_version');
  const nextRevision = `nextval('${db.t('service_revisions')}')`;
  const bump = (cte: string) => `bumped AS (UPDATE ${version} SET version = version + 1 WHERE EXISTS (SELECT 1 FROM ${cte}) RETURNING version)`;
  const condition = (values: unknown[], ifRevision: number | undefined) => {
    if (ifRevision === undefined) return '';
    values.push(ifRevision);
    return ` AND revision = $${values.length}::bigint`;
  };

  const upsertSql = `
    WITH up AS (
      INSERT INTO ${services} (name, url, health_url, version, roles_required, tags, meta, ttl_seconds, "check", status, status_since, registered_at, last_seen, lease_expires_at, last_check)
      VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8::integer, $9::json, $10, $11::timestamptz, $12::timestamptz, $13::timestamptz, $14::timestamptz, $15::jsonb)
      ON CONFLICT (name) DO UPDATE SET
        url = EXCLUDED.url, health_url = EXCLUDED.health_url, version = EXCLUDED.version,
        roles_required = EXCLUDED.roles_required, tags = EXCLUDED.tags, meta = EXCLUDED.meta,
        ttl_seconds = EXCLUDED.ttl_seconds, "check" = EXCLUDED."check", status = EXCLUDED.status,
        status_since = EXCLUDED.status_since, last_seen = EXCLUDED.last_seen, lease_expires_at = EXCLUDED.lease_expires_at,
        last_check = EXCLUDED.last_check, revision = ${nextRevision}
      RETURNING ${COLUMNS}, (xmax = 0) AS created
    ),
    ${bump('up')}
    SELECT up.*, (SELECT version FROM bumped) AS v FROM up`;

  return {
    async upsert(record) {
      const { rows } = await db.query<ServiceRow & { created: boolean }>(upsertSql, [
        record.name,
        record.url,
        record.health_url,
        record.version,
        json(record.roles_required),
        json(record.tags),
        json(record.meta),
        record.ttl_seconds,
        record.check === null ? null : json(record.check),
        record.status,
        timeParam(record.status_since, 'status_since'),
        timeParam(record.registered_at, 'registered_at'),
        timeParam(record.last_seen, 'last_seen'),
        timeParamOrNull(record.lease_expires_at, 'lease_expires_at'),
        record.last_check === null ? null : json(record.last_check),
      ]);
      const row = rows[0]!;
      return { record: recordOf(row), created: row.created };
    },
    async get(name) {
      const { rows } = await db.query<ServiceRow>(`SELECT ${COLUMNS} FROM ${services} WHERE name = $1`, [name]);
      return rows[0] ? recordOf(rows[0]) : null;
    },
    async list(filter: RegistryFilter = {}) {
      const values: unknown[] = [];
      const where: string[] = [];
      if (filter.tag !== undefined) {
        values.push(filter.tag);
        where.push(`tags ? $${values.length}`);
      }
      if (filter.status !== undefined) {
        values.push(filter.status);
        where.push(`status = $${values.length}`);
      }
      const { rows } = await db.query<ServiceRow>(
        `SELECT ${COLUMNS} FROM ${services}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY name`,
        values,
      );
      return rows.map(recordOf);
    },
    async patch(name, patch, options) {
      const values: unknown[] = [name];
      const sets: string[] = [];
      for (const [field, [type, toParam]] of Object.entries(FIELDS) as [Patchable, [string, (value: unknown) => unknown]][]) {
        if (!(field in patch) || patch[field] === undefined) continue;
        values.push(toParam(patch[field]));
        sets.push(`"${field}" = $${values.length}::${type}`);
      }
      sets.push(`revision = ${nextRevision}`);
      const { rows } = await db.query<ServiceRow>(
        `WITH p AS (UPDATE ${services} SET ${sets.join(', ')} WHERE name = $1${condition(values, options?.ifRevision)} RETURNING ${COLUMNS}),
         ${bump('p')}
         SELECT p.*, (SELECT version FROM bumped) AS v FROM p`,
        values,
      );
      return rows[0] ? recordOf(rows[0]) : null;
    },
    async remove(name, options) {
      const values: unknown[] = [name];
      const { rows } = await db.query<{ v: string | null }>(
        `WITH d AS (DELETE FROM ${services} WHERE name = $1${condition(values, options?.ifRevision)} RETURNING name), ${bump('d')} SELECT (SELECT version FROM bumped) AS v FROM d`,
        values,
      );
      return rows.length > 0;
    },
    async version() {
      const { rows } = await db.query<{ version: string }>(`SELECT version FROM ${version}`);
      return int(rows[0]?.version ?? 0);
    },
    async close() {},
  };
}
