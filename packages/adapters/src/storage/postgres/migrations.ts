import type { Pool } from 'pg';
import { ident, lockKey, qualify } from './names.js';

/** One step of the schema, applied once and recorded in `schema_migrations`. */
export interface Migration {
  version: number;
  name: string;
  /** SQL (several statements allowed); `t('events')` is the schema-qualified table name. */
  sql: (t: (table: string) => string) => string;
}

// Text compared with < or sorted (type prefixes, ids, names) is COLLATE "C" so PostgreSQL orders it by code
// point, exactly as the memory store's JavaScript comparisons do. Timestamps are timestamptz (ms precision is
// all callers use). Documents nobody queries inside are `json`, which keeps them as written (and accepts
// \u0000, which jsonb refuses); documents filtered on (registry tags) are `jsonb`.
/**
 * The schema's steps, in order; never edit a released one, add the next version instead.
 * @example await migrate(pool, 'aetherlink', MIGRATIONS)
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    sql: (t) => `
      CREATE TABLE ${t('events')} (
        seq bigserial PRIMARY KEY,
        source text NOT NULL,
        id text NOT NULL,
        type text COLLATE "C" NOT NULL,
        time timestamptz NOT NULL,
        severity text NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),
        tenantid text,
        subject text,
        traceparent text,
        dataschema text,
        specversion text NOT NULL DEFAULT '1.0',
        datacontenttype text NOT NULL,
        data json,
        received_at timestamptz NOT NULL,
        origin text,
        CONSTRAINT events_source_id_key UNIQUE (source, id)
      );
      CREATE INDEX events_type_seq_idx ON ${t('events')} (type, seq);
      CREATE INDEX events_source_seq_idx ON ${t('events')} (source, seq);
      CREATE INDEX events_severity_seq_idx ON ${t('events')} (severity, seq);
      CREATE INDEX events_tenantid_seq_idx ON ${t('events')} (tenantid, seq) WHERE tenantid IS NOT NULL;
      CREATE INDEX events_time_idx ON ${t('events')} (time);
      CREATE TABLE ${t('event_counters')} (
        severity text PRIMARY KEY,
        n bigint NOT NULL
      );`,
  },
  {
    version: 2,
    name: 'audit',
    sql: (t) => `
      CREATE TABLE ${t('audit_log')} (
        seq bigserial PRIMARY KEY,
        ts timestamptz NOT NULL,
        service text NOT NULL,
        method text NOT NULL,
        path text NOT NULL,
        roles jsonb NOT NULL,
        status integer NOT NULL,
        client_ip text NOT NULL,
        duration_ms double precision NOT NULL,
        principal text,
        meta json
      );
      CREATE INDEX audit_log_path_seq_idx ON ${t('audit_log')} (path, seq);
      CREATE INDEX audit_log_status_seq_idx ON ${t('audit_log')} (status, seq);
      CREATE INDEX audit_log_ts_idx ON ${t('audit_log')} (ts);
      CREATE TABLE ${t('audit_counters')} (
        kind text NOT NULL CHECK (kind IN ('path', 'status')),
        key text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (kind, key)
      );`,
  },
  {
    version: 3,
    name: 'registry',
    sql: (t) => `
      CREATE TABLE ${t('services')} (
        name text COLLATE "C" PRIMARY KEY,
        url text NOT NULL,
        health_url text NOT NULL,
        version text,
        roles_required jsonb NOT NULL,
        tags jsonb NOT NULL,
        meta jsonb NOT NULL,
        status text NOT NULL,
        status_since timestamptz NOT NULL,
        registered_at timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        lease_expires_at timestamptz,
        last_check jsonb
      );
      CREATE INDEX services_tags_idx ON ${t('services')} USING gin (tags);
      CREATE INDEX services_status_idx ON ${t('services')} (status);
      CREATE INDEX services_lease_idx ON ${t('services')} (lease_expires_at) WHERE lease_expires_at IS NOT NULL;
      CREATE TABLE ${t('registry_version')} (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        version bigint NOT NULL
      );
      INSERT INTO ${t('registry_version')} (id, version) VALUES (true, 0);`,
  },
  {
    version: 4,
    name: 'rules',
    sql: (t) => `
      CREATE TABLE ${t('rules')} (
        seq bigserial NOT NULL,
        id text COLLATE "C" NOT NULL CONSTRAINT rules_pkey PRIMARY KEY,
        name text NOT NULL CONSTRAINT rules_name_key UNIQUE,
        enabled boolean NOT NULL,
        spec json NOT NULL,
        state json,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      );
      CREATE INDEX rules_seq_idx ON ${t('rules')} (seq);
      CREATE INDEX rules_enabled_seq_idx ON ${t('rules')} (enabled, seq);`,
  },
  {
    version: 5,
    name: 'deliveries',
    sql: (t) => `
      CREATE TABLE ${t('deliveries')} (
        id text COLLATE "C" CONSTRAINT deliveries_pkey PRIMARY KEY,
        webhook_id text NOT NULL,
        endpoint text NOT NULL,
        payload json,
        headers jsonb NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'failed', 'leased', 'delivered', 'dead_letter')),
        attempts integer NOT NULL,
        max_attempts integer NOT NULL CHECK (max_attempts >= 1),
        next_attempt_at timestamptz,
        lease_owner text,
        leased_until timestamptz,
        last_error text,
        last_status_code integer,
        event_type text,
        event_id text,
        rule_id text,
        tenantid text,
        replay_of text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        delivered_at timestamptz,
        -- When the item next wants a worker: its retry time, or when its lease runs out. Null once finished.
        due_at timestamptz GENERATED ALWAYS AS (
          CASE WHEN status IN ('pending', 'failed') THEN next_attempt_at WHEN status = 'leased' THEN leased_until END
        ) STORED
      );
      CREATE INDEX deliveries_due_idx ON ${t('deliveries')} (due_at, id) WHERE due_at IS NOT NULL;
      CREATE INDEX deliveries_status_next_idx ON ${t('deliveries')} (status, next_attempt_at);
      CREATE INDEX deliveries_created_idx ON ${t('deliveries')} (created_at, id);
      CREATE INDEX deliveries_status_created_idx ON ${t('deliveries')} (status, created_at, id);
      CREATE INDEX deliveries_endpoint_idx ON ${t('deliveries')} (endpoint, created_at, id);
      CREATE INDEX deliveries_tenantid_idx ON ${t('deliveries')} (tenantid, created_at, id) WHERE tenantid IS NOT NULL;
      CREATE TABLE ${t('delivery_attempts')} (
        seq bigserial PRIMARY KEY,
        delivery_id text COLLATE "C" NOT NULL REFERENCES ${t('deliveries')} (id) ON DELETE CASCADE,
        attempt integer NOT NULL,
        at timestamptz NOT NULL,
        duration_ms double precision NOT NULL,
        status_code integer,
        error text
      );
      CREATE INDEX delivery_attempts_delivery_idx ON ${t('delivery_attempts')} (delivery_id, seq);`,
  },
  {
    version: 6,
    name: 'heal',
    sql: (t) => `
      CREATE TABLE ${t('heal_history')} (
        seq bigserial PRIMARY KEY,
        id text NOT NULL,
        ts timestamptz NOT NULL,
        service text NOT NULL,
        action text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'skipped')),
        message text NOT NULL,
        duration_ms double precision,
        attempt integer
      );
      CREATE INDEX heal_history_service_seq_idx ON ${t('heal_history')} (service, seq);
      CREATE TABLE ${t('heal_counters')} (
        service text PRIMARY KEY,
        records bigint NOT NULL,
        attempts bigint NOT NULL,
        successful bigint NOT NULL,
        failed bigint NOT NULL
      );`,
  },
  {
    // The lease length and check settings used to ride in meta under reserved keys; they become columns. Each
    // record gets a revision from a sequence, so a name never sees a revision twice. Values the registry never
    // wrote (edited by hand) become null, as they read before; the temporary function parses without failing.
    version: 7,
    name: 'registry settings as columns, record revisions',
    sql: (t) => `
      CREATE SEQUENCE ${t('service_revisions')};
      ALTER TABLE ${t('services')}
        ADD COLUMN ttl_seconds integer,
        ADD COLUMN "check" json,
        ADD COLUMN revision bigint NOT NULL DEFAULT nextval('${t('service_revisions')}');
      ALTER SEQUENCE ${t('service_revisions')} OWNED BY ${t('services')}.revision;
      CREATE FUNCTION pg_temp.aetherlink_json_object(value text) RETURNS json LANGUAGE plpgsql AS $$
        BEGIN
          RETURN CASE WHEN json_typeof(value::json) = 'object' THEN value::json END;
        EXCEPTION WHEN others THEN
          RETURN NULL;
        END $$;
      UPDATE ${t('services')} SET
        ttl_seconds = CASE WHEN meta->>'aetherlink.ttl_seconds' ~ '^[1-9][0-9]{0,8}$' THEN (meta->>'aetherlink.ttl_seconds')::integer END,
        "check" = pg_temp.aetherlink_json_object(meta->>'aetherlink.check'),
        meta = meta - 'aetherlink.ttl_seconds' - 'aetherlink.check';
      DROP FUNCTION pg_temp.aetherlink_json_object(text);`,
  },
  {
    version: 8,
    name: 'documents (alert rules move into them)',
    // One generic schema for every collection: a new kind of state needs no migration. The old rules table is
    // copied into the alert_rules collection (ids kept, versions 1..n in creation order) and dropped; its
    // declaration is recorded as unknown ('') so the first use rebuilds the keys from the declaration in code.
    sql: (t) => `
      CREATE TABLE ${t('document_collections')} (
        name text COLLATE "C" PRIMARY KEY,
        version bigint NOT NULL,
        spec text NOT NULL
      );
      CREATE TABLE ${t('documents')} (
        collection text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        version bigint NOT NULL,
        data json NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT documents_pkey PRIMARY KEY (collection, id)
      );
      CREATE TABLE ${t('document_keys')} (
        collection text COLLATE "C" NOT NULL,
        id text COLLATE "C" NOT NULL,
        field text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        uniq boolean NOT NULL,
        CONSTRAINT document_keys_pkey PRIMARY KEY (collection, id, field),
        FOREIGN KEY (collection, id) REFERENCES ${t('documents')} (collection, id) ON DELETE CASCADE
      );
      CREATE INDEX document_keys_value_idx ON ${t('document_keys')} (collection, field, value, id);
      CREATE UNIQUE INDEX document_keys_unique_idx ON ${t('document_keys')} (collection, field, value) WHERE uniq;

      INSERT INTO ${t('documents')} (collection, id, version, data, created_at, updated_at)
        SELECT 'alert_rules', id, row_number() OVER (ORDER BY seq),
          json_build_object('name', name, 'enabled', enabled, 'spec', spec, 'state', state), created_at, updated_at
        FROM ${t('rules')};
      INSERT INTO ${t('document_collections')} (name, version, spec) SELECT 'alert_rules', count(*), '' FROM ${t('rules')} HAVING count(*) > 0;
      DROP TABLE ${t('rules')};`,
  },
  {
    version: 9,
    name: 'audit trace ids',
    sql: (t) => `ALTER TABLE ${t('audit_log')} ADD COLUMN trace_id text;`,
  },
  {
    version: 10,
    name: 'events: a (time, severity) index for bucketed stats',
    // Replaces the time index it extends, so bucket counts are index-only scans of their window and range
    // counts on time use it as before.
    sql: (t) => `
      CREATE INDEX events_time_severity_idx ON ${t('events')} (time, severity);
      DROP INDEX ${t('events_time_idx')};`,
  },
  {
    version: 11,
    name: 'heal history: why, the probe, backoff and timings of each attempt; tallies by query',
    // Older rows keep an empty reason and nulls for what they never recorded. The per-service counters gave way to
    // a GROUP BY over the history (what counts as an attempt is the auto-heal package's to say, not the store's).
    sql: (t) => `
      ALTER TABLE ${t('heal_history')}
        ADD COLUMN reason text NOT NULL DEFAULT '',
        ADD COLUMN probe json,
        ADD COLUMN delay_ms double precision,
        ADD COLUMN detected_at timestamptz,
        ADD COLUMN started_at timestamptz,
        ADD COLUMN error text;
      CREATE INDEX heal_history_outcome_seq_idx ON ${t('heal_history')} (outcome, seq);
      DROP TABLE ${t('heal_counters')};`,
  },
  {
    version: 12,
    name: 'delivery statuses of the alerts queue, endpoint ids, attempt bodies',
    // leased → delivering and failed → retrying, in place: existing rows keep their place in the queue. The
    // generated due_at names the old statuses, so it is dropped (with its index) and made again.
    sql: (t) => `
      ALTER TABLE ${t('deliveries')} DROP COLUMN due_at;
      ALTER TABLE ${t('deliveries')} DROP CONSTRAINT IF EXISTS deliveries_status_check;
      UPDATE ${t('deliveries')} SET status = CASE status WHEN 'leased' THEN 'delivering' WHEN 'failed' THEN 'retrying' ELSE status END
        WHERE status IN ('leased', 'failed');
      ALTER TABLE ${t('deliveries')}
        ADD CONSTRAINT deliveries_status_check CHECK (status IN ('pending', 'delivering', 'delivered', 'retrying', 'dead_letter', 'cancelled')),
        ADD COLUMN endpoint_id text,
        ADD COLUMN due_at timestamptz GENERATED ALWAYS AS (
          CASE WHEN status IN ('pending', 'retrying') THEN next_attempt_at WHEN status = 'delivering' THEN leased_until END
        ) STORED;
      CREATE INDEX deliveries_due_idx ON ${t('deliveries')} (due_at, id) WHERE due_at IS NOT NULL;
      CREATE INDEX deliveries_endpoint_id_idx ON ${t('deliveries')} (endpoint_id, created_at, id) WHERE endpoint_id IS NOT NULL;
      ALTER TABLE ${t('delivery_attempts')} ADD COLUMN response_body text, ADD COLUMN endpoint_id text;
      CREATE INDEX delivery_attempts_endpoint_idx ON ${t('delivery_attempts')} (endpoint_id, seq) WHERE endpoint_id IS NOT NULL;`,
  },
  {
    version: 13,
    name: 'counters for stats and retention',
    // Events per minute of their time: the last 24 hours of /events/stats become a sum over at most 1440 rows
    // instead of a count over every event. Type, source and severity go together in a fleet's events (health
    // failures come from the registry and are errors): without statistics saying so the planner assumes them
    // independent and, for a filter on all three, sorts every row of each instead of walking seq. Replayed dead
    // letters are found through replay_of. Heal records a retention pass removed are folded into heal_purged, so
    // count and tally keep them.
    sql: (t) => `
      CREATE TABLE ${t('event_minutes')} (
        minute bigint PRIMARY KEY,
        n bigint NOT NULL
      );
      INSERT INTO ${t('event_minutes')} (minute, n)
        SELECT floor(extract(epoch FROM time) / 60)::bigint, count(*) FROM ${t('events')} GROUP BY 1;
      CREATE STATISTICS ${t('events_type_source_severity')} (dependencies, mcv) ON type, source, severity FROM ${t('events')};
      CREATE INDEX deliveries_replay_of_idx ON ${t('deliveries')} (replay_of) WHERE replay_of IS NOT NULL;
      CREATE TABLE ${t('heal_purged')} (
        service text NOT NULL,
        outcome text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (service, outcome)
      );`,
  },
];

/**
 * Brings `schema` up to date: creates it if missing, then applies each migration not yet recorded, all in one
 * transaction under an advisory lock, so instances starting together apply each step exactly once. Returns the
 * versions it applied.
 * @example await migrate(pool, 'public')
 */
export async function migrate(pool: Pool, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const t = (table: string) => qualify(schema, table);
  const table = t('schema_migrations');
  const wanted = migrations.map((m) => m.version);

  const client = await pool.connect();
  let broken: unknown;
  const onError = (error: unknown) => (broken ??= error);
  client.on('error', onError);
  try {
    // The common case, a schema already current, needs no lock and no transaction.
    const present = await client.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table]);
    if (present.rows[0]?.t) {
      const done = await client.query<{ version: number }>(`SELECT version FROM ${table}`);
      const have = new Set(done.rows.map((r) => r.version));
      if (wanted.every((v) => have.has(v))) return [];
    }

    await client.query('BEGIN');
    try {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(schema, 'migrate')]);
      // Checked first because CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${ident(schema)}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${table} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = await client.query<{ version: number }>(`SELECT version FROM ${table}`);
      const have = new Set(done.rows.map((r) => r.version));
      const applied: number[] = [];
      for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
        if (have.has(m.version)) continue;
        await client.query(m.sql(t));
        await client.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
        applied.push(m.version);
      }
      await client.query('COMMIT');
      return applied;
    } catch (error) {
      await client.query('ROLLBACK').catch((e: unknown) => (broken ??= e));
      throw error;
    }
  } finally {
    client.removeListener('error', onError);
    client.release(broken === undefined ? undefined : true);
  }
}
