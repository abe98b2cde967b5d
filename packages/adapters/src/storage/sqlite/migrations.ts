const TTL = `json_extract(record, '$.meta."aetherlink.ttl_seconds"')`;
const CHECK = `json_extract(record, '$.meta."aetherlink.check"')`;

/** Versioned schema changes, applied in order at open; never edit one that shipped, add another. */
export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        source TEXT NOT NULL,
        type TEXT NOT NULL,
        time TEXT NOT NULL,
        time_ms INTEGER NOT NULL,
        severity TEXT NOT NULL,
        tenantid TEXT,
        subject TEXT,
        traceparent TEXT,
        dataschema TEXT,
        datacontenttype TEXT NOT NULL,
        data TEXT NOT NULL,
        received_at TEXT NOT NULL,
        UNIQUE (source, id)
      );
      CREATE INDEX events_type ON events (type, seq);
      CREATE INDEX events_source ON events (source, seq);
      CREATE INDEX events_severity ON events (severity, seq);
      CREATE INDEX events_tenant ON events (tenantid, seq) WHERE tenantid IS NOT NULL;
      CREATE INDEX events_time ON events (time_ms);
      CREATE TABLE event_counts (severity TEXT PRIMARY KEY, n INTEGER NOT NULL);

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        ts TEXT NOT NULL,
        service TEXT NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        roles TEXT NOT NULL,
        status INTEGER NOT NULL,
        client_ip TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        principal TEXT,
        meta TEXT
      );
      CREATE INDEX audit_path ON audit (path, seq);
      CREATE INDEX audit_status ON audit (status, seq);
      CREATE INDEX audit_ts ON audit (ts);
      CREATE TABLE audit_counts (kind TEXT NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, key));

      CREATE TABLE services (
        name TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        record TEXT NOT NULL
      );
      CREATE INDEX services_status ON services (status);
      CREATE TABLE service_tags (name TEXT NOT NULL REFERENCES services (name) ON DELETE CASCADE, tag TEXT NOT NULL, PRIMARY KEY (tag, name));
      CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);

      CREATE TABLE rules (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        enabled INTEGER NOT NULL,
        spec TEXT NOT NULL,
        state TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        ord INTEGER NOT NULL
      );

      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        payload TEXT NOT NULL,
        headers TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        next_attempt_at TEXT,
        lease_owner TEXT,
        leased_until TEXT,
        last_error TEXT,
        last_status_code INTEGER,
        event_type TEXT,
        event_id TEXT,
        rule_id TEXT,
        tenantid TEXT,
        replay_of TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        delivered_at TEXT
      );
      CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
      CREATE INDEX deliveries_lease ON deliveries (status, leased_until);
      CREATE INDEX deliveries_created ON deliveries (created_at, id);
      CREATE INDEX deliveries_endpoint ON deliveries (endpoint, created_at);
      CREATE INDEX deliveries_tenant ON deliveries (tenantid, created_at) WHERE tenantid IS NOT NULL;
      CREATE TABLE delivery_attempts (
        delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        attempt INTEGER NOT NULL,
        at TEXT NOT NULL,
        duration_ms REAL NOT NULL,
        status_code INTEGER,
        error TEXT,
        PRIMARY KEY (delivery_id, attempt, at)
      );

      CREATE TABLE heal_history (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        ts TEXT NOT NULL,
        service TEXT NOT NULL,
        action TEXT NOT NULL,
        outcome TEXT NOT NULL,
        message TEXT NOT NULL,
        duration_ms REAL,
        attempt INTEGER
      );
      CREATE INDEX heal_service ON heal_history (service, seq);
    `,
  },
  {
    // The lease length and check settings used to ride in meta under reserved keys; they become fields of the
    // record, and every record gets a revision (the registry version now, so later writes all go above it).
    // Values nobody could have written through the registry (edited by hand) become null, as they read before.
    version: 2,
    name: 'registry settings as fields, record revisions',
    sql: `
      UPDATE services SET record = json_set(
        json_remove(record, '$.meta."aetherlink.ttl_seconds"', '$.meta."aetherlink.check"'),
        '$.ttl_seconds',
        CASE WHEN ${TTL} GLOB '[1-9]*' AND ${TTL} NOT GLOB '*[^0-9]*' AND length(${TTL}) <= 9 THEN CAST(${TTL} AS INTEGER) END,
        '$.check',
        json(CASE WHEN json_valid(${CHECK}) THEN (CASE WHEN json_type(${CHECK}) = 'object' THEN ${CHECK} END) END),
        '$.revision',
        (SELECT coalesce(max(n), 0) FROM counters WHERE name = 'registry_version')
      );
    `,
  },
  {
    version: 3,
    name: 'documents (alert rules move into them)',
    // One generic schema for every collection: a new kind of state needs no migration. The old rules table is
    // copied into the alert_rules collection (ids kept, versions 1..n in creation order) and dropped; its
    // declaration is recorded as unknown ('') so the first use rebuilds the keys from the declaration in code.
    sql: `
      CREATE TABLE document_collections (
        name TEXT PRIMARY KEY,
        version INTEGER NOT NULL,
        spec TEXT NOT NULL
      );
      CREATE TABLE documents (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (collection, id)
      ) WITHOUT ROWID;
      CREATE TABLE document_keys (
        collection TEXT NOT NULL,
        id TEXT NOT NULL,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        uniq INTEGER NOT NULL,
        PRIMARY KEY (collection, id, field),
        FOREIGN KEY (collection, id) REFERENCES documents (collection, id) ON DELETE CASCADE
      ) WITHOUT ROWID;
      CREATE INDEX document_keys_value ON document_keys (collection, field, value, id);
      CREATE UNIQUE INDEX document_keys_unique ON document_keys (collection, field, value) WHERE uniq = 1;

      INSERT INTO documents (collection, id, version, data, created_at, updated_at)
        SELECT 'alert_rules', id, row_number() OVER (ORDER BY ord),
          json_object('name', name, 'enabled', json(CASE WHEN enabled THEN 'true' ELSE 'false' END), 'spec', json(spec), 'state', json(coalesce(state, 'null'))),
          created_at, updated_at
        FROM rules;
      INSERT INTO document_collections (name, version, spec) SELECT 'alert_rules', count(*), '' FROM rules HAVING count(*) > 0;
      DROP TABLE rules;
    `,
  },
  {
    version: 4,
    name: 'audit trace ids',
    sql: `ALTER TABLE audit ADD COLUMN trace_id TEXT;`,
  },
  {
    version: 5,
    name: 'events: a (time_ms, severity) index for bucketed stats',
    // Replaces the time index it extends: bucket counts read only the index entries of their window (about ten
    // times faster than looking each row up for its severity), and range counts on time use it as before.
    sql: `
      CREATE INDEX events_time_severity ON events (time_ms, severity);
      DROP INDEX events_time;
    `,
  },
  {
    version: 6,
    name: 'heal history: why, the probe, backoff and timings of each attempt',
    // Older rows keep an empty reason and nulls for what they never recorded.
    sql: `
      ALTER TABLE heal_history ADD COLUMN reason TEXT NOT NULL DEFAULT '';
      ALTER TABLE heal_history ADD COLUMN probe TEXT;
      ALTER TABLE heal_history ADD COLUMN delay_ms REAL;
      ALTER TABLE heal_history ADD COLUMN detected_at TEXT;
      ALTER TABLE heal_history ADD COLUMN started_at TEXT;
      ALTER TABLE heal_history ADD COLUMN error TEXT;
      CREATE INDEX heal_outcome ON heal_history (outcome, seq);
    `,
  },
  {
    version: 7,
    name: 'delivery statuses of the alerts queue, endpoint ids, attempt bodies',
    // leased → delivering and failed → retrying; existing rows keep their place in the queue. `due_at` (virtual)
    // indexes when each item next wants a worker, so leasing reads one index range.
    sql: `
      UPDATE deliveries SET status = CASE status WHEN 'leased' THEN 'delivering' WHEN 'failed' THEN 'retrying' ELSE status END
        WHERE status IN ('leased', 'failed');
      ALTER TABLE deliveries ADD COLUMN endpoint_id TEXT;
      ALTER TABLE deliveries ADD COLUMN due_at TEXT GENERATED ALWAYS AS (
        CASE WHEN status IN ('pending', 'retrying') THEN next_attempt_at WHEN status = 'delivering' THEN leased_until END
      ) VIRTUAL;
      CREATE INDEX deliveries_due_at ON deliveries (due_at, id) WHERE due_at IS NOT NULL;
      CREATE INDEX deliveries_endpoint_id ON deliveries (endpoint_id, created_at, id) WHERE endpoint_id IS NOT NULL;
      ALTER TABLE delivery_attempts ADD COLUMN response_body TEXT;
      ALTER TABLE delivery_attempts ADD COLUMN endpoint_id TEXT;
      CREATE INDEX delivery_attempts_endpoint ON delivery_attempts (endpoint_id) WHERE endpoint_id IS NOT NULL;
    `,
  },
  {
    version: 8,
    name: 'counters for stats and retention',
    // Events per minute of their time (floor division, so times before 1970 fall in the right minute): the last
    // 24 hours of /events/stats become a sum over at most 1440 rows instead of a count over every event. Heal
    // records a retention pass removed are folded into heal_purged, so count and tally keep them. Replayed dead
    // letters are found through replay_of.
    sql: `
      CREATE TABLE event_minutes (minute INTEGER PRIMARY KEY, n INTEGER NOT NULL);
      INSERT INTO event_minutes (minute, n)
        SELECT (time_ms - ((time_ms % 60000) + 60000) % 60000) / 60000, count(*) FROM events GROUP BY 1;
      CREATE TABLE heal_purged (service TEXT NOT NULL, outcome TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (service, outcome));
      CREATE INDEX deliveries_replay_of ON deliveries (replay_of) WHERE replay_of IS NOT NULL;
    `,
  },
];
