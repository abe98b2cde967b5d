import { auditStatsFrom, checkPurgeRequest, countAudit, purgeCount, type AuditQuery, type AuditRecord, type AuditStore, type StoredAuditRecord } from '@aetherlink/core';
import type { Database } from './pool.js';
import { int, isoOf, json, timeParam } from './rows.js';

interface AuditRow {
  seq: string;
  ts: Date;
  service: string;
  method: string;
  path: string;
  roles: string[];
  status: number;
  client_ip: string;
  duration_ms: number;
  principal: string | null;
  trace_id: string | null;
  meta: Record<string, unknown> | null;
}

function recordOf(row: AuditRow): StoredAuditRecord {
  const record: StoredAuditRecord = {
    ts: isoOf(row.ts),
    service: row.service,
    method: row.method,
    path: row.path,
    roles: row.roles,
    status: row.status,
    client_ip: row.client_ip,
    duration_ms: row.duration_ms,
    seq: int(row.seq),
  };
  if (row.principal !== null) record.principal = row.principal;
  if (row.trace_id !== null) record.trace_id = row.trace_id;
  if (row.meta !== null) record.meta = row.meta;
  return record;
}

/**
 * The audit trail in PostgreSQL: each batch and its counters (by path, by status) in one statement.
 * @example const audit = createAuditLog({ service: 'api', store: postgresAuditStore(db) })
 */
export function postgresAuditStore(db: Database): AuditStore & { close(): Promise<void> } {
  const log = db.t('audit_log');
  const counters = db.t('audit_counters');

  // Counter rows are upserted in key order so concurrent batches lock them in the same order (no deadlock).
  const appendSql = `
    WITH ins AS (
      INSERT INTO ${log} (ts, service, method, path, roles, status, client_ip, duration_ms, principal, meta, trace_id)
      SELECT ts, service, method, path, roles, status, client_ip, duration_ms, principal, meta, trace_id
      FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::int[], $7::text[],
                  $8::float8[], $9::text[], $10::json[], $14::text[])
        WITH ORDINALITY AS i(ts, service, method, path, roles, status, client_ip, duration_ms, principal, meta, trace_id, ord)
      ORDER BY ord
    ),
    counted AS (
      INSERT INTO ${counters} (kind, key, n)
      SELECT kind, key, n FROM unnest($11::text[], $12::text[], $13::bigint[]) AS c(kind, key, n) ORDER BY kind, key
      ON CONFLICT (kind, key) DO UPDATE SET n = ${counters}.n + EXCLUDED.n
    )
    SELECT 1`;

  return {
    async append(records: readonly AuditRecord[]) {
      if (records.length === 0) return;
      const { byPath, byStatus } = countAudit(records);
      const counts = [
        ...[...byPath].map(([key, n]) => ['path', key, n] as const),
        ...[...byStatus].map(([key, n]) => ['status', String(key), n] as const),
      ].sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1));
      await db.query(appendSql, [
        records.map((r) => timeParam(r.ts, 'ts')),
        records.map((r) => r.service),
        records.map((r) => r.method),
        records.map((r) => r.path),
        records.map((r) => JSON.stringify(r.roles)),
        records.map((r) => r.status),
        records.map((r) => r.client_ip),
        records.map((r) => r.duration_ms),
        records.map((r) => r.principal ?? null),
        records.map((r) => json(r.meta)),
        counts.map((c) => c[0]),
        counts.map((c) => c[1]),
        counts.map((c) => c[2]),
        records.map((r) => r.trace_id ?? null),
      ]);
    },
    async query(q: AuditQuery) {
      const values: unknown[] = [];
      const p = (value: unknown) => {
        values.push(value);
        return `$${values.length}`;
      };
      const where: string[] = [];
      if (q.before !== undefined) where.push(`seq < ${p(q.before)}`);
      if (q.path !== undefined) where.push(`path = ${p(q.path)}`);
      if (q.status !== undefined) where.push(`status = ${p(q.status)}`);
      if (q.methods !== undefined) where.push(`method = ANY(${p([...q.methods])}::text[])`);
      if (q.paths !== undefined) where.push(`path = ANY(${p([...q.paths])}::text[])`);
      if (q.since !== undefined) where.push(`ts >= ${p(timeParam(q.since, 'since'))}::timestamptz`);
      const { rows } = await db.query<AuditRow>(
        `SELECT * FROM ${log}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ${p(Math.max(0, Math.floor(q.limit)))}`,
        values,
      );
      return rows.map(recordOf);
    },
    async stats() {
      const { rows } = await db.query<{ kind: 'path' | 'status'; key: string; n: string }>(`SELECT kind, key, n FROM ${counters}`);
      const pick = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => [r.key, int(r.n)] as [string, number]);
      return auditStatsFrom(pick('path'), pick('status'));
    },
    // Retention: the oldest records go; the counters stay (stats cover every record ever appended).
    async purge(request) {
      const checked = checkPurgeRequest(request);
      const oldest = await db.query<{ seq: string; ts: Date }>(`SELECT seq, ts FROM ${log} ORDER BY seq LIMIT $1`, [checked.limit]);
      // The seq span: the count, or a little over it where a failed insert left a gap.
      const span = await db.query<{ n: string | null }>(`SELECT max(seq) - min(seq) + 1 AS n FROM ${log}`);
      const n = purgeCount(oldest.rows.map((r) => r.ts.getTime()), int(span.rows[0]?.n ?? 0), checked);
      if (n === 0) return 0;
      const { rowCount } = await db.query(`DELETE FROM ${log} WHERE seq = ANY($1::bigint[])`, [oldest.rows.slice(0, n).map((r) => r.seq)]);
      return rowCount ?? 0;
    },
    async close() {},
  };
}
