import { auditStatsFrom, checkPurgeRequest, countAudit, purgeCount, timeParam, type AuditQuery, type AuditRecord, type AuditStore, type CheckedPurge, type StoredAuditRecord } from '@aetherlink/core';
import { guarded, type SqliteDatabase } from './database.js';
import { parseJson, statementCache } from './statements.js';

interface AuditRow {
  seq: number;
  ts: string;
  service: string;
  method: string;
  path: string;
  roles: string;
  status: number;
  client_ip: string;
  duration_ms: number;
  principal: string | null;
  trace_id: string | null;
  meta: string | null;
}

function toRecord(r: AuditRow): StoredAuditRecord {
  const out: StoredAuditRecord = {
    ts: r.ts,
    service: r.service,
    method: r.method,
    path: r.path,
    roles: JSON.parse(r.roles) as string[],
    status: r.status,
    client_ip: r.client_ip,
    duration_ms: r.duration_ms,
    seq: r.seq,
  };
  if (r.principal !== null) out.principal = r.principal;
  if (r.trace_id !== null) out.trace_id = r.trace_id;
  if (r.meta !== null) out.meta = parseJson(r.meta);
  return out;
}

/**
 * The audit trail in SQLite: records and their counts written in one transaction per batch.
 * @example const audit = createAuditLog({ service: 'x', store: sqliteAuditStore(db) })
 */
export function sqliteAuditStore(db: SqliteDatabase): AuditStore {
  const stmt = statementCache(db);
  const insert = db.prepare(
    'INSERT INTO audit (ts, service, method, path, roles, status, client_ip, duration_ms, principal, meta, trace_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const bump = db.prepare('INSERT INTO audit_counts (kind, key, n) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET n = n + excluded.n');
  const write = db.transaction((records: readonly AuditRecord[]) => {
    for (const r of records) {
      insert.run(r.ts, r.service, r.method, r.path, JSON.stringify(r.roles), r.status, r.client_ip, r.duration_ms, r.principal ?? null, r.meta === undefined ? null : JSON.stringify(r.meta), r.trace_id ?? null);
    }
    const { byPath, byStatus } = countAudit(records);
    for (const [path, n] of byPath) bump.run('path', path, n);
    for (const [status, n] of byStatus) bump.run('status', String(status), n);
  });
  // Retention: the oldest records go; the counts stay (stats cover every record ever appended).
  const purgeTx = db.transaction((request: CheckedPurge) => {
    const rows = stmt('SELECT seq, ts FROM audit ORDER BY seq LIMIT ?').all(request.limit) as { seq: number; ts: string }[];
    // Records are only ever removed from the oldest end, so the seq span is the count.
    const held = stmt('SELECT coalesce(max(seq) - min(seq) + 1, 0) FROM audit').pluck().get() as number;
    const n = purgeCount(rows.map((r) => Date.parse(r.ts)), held, request);
    if (n > 0) stmt('DELETE FROM audit WHERE seq <= ?').run(rows[n - 1]!.seq);
    return n;
  });
  return {
    purge: (request) => guarded(() => purgeTx.immediate(checkPurgeRequest(request))),
    append: (records) =>
      guarded(() => {
        if (records.length) write.immediate(records);
      }),
    query: (q: AuditQuery) => guarded(() => {
      const where: string[] = [];
      const params: unknown[] = [];
      if (q.before !== undefined) (where.push('seq < ?'), params.push(q.before));
      if (q.path !== undefined) (where.push('path = ?'), params.push(q.path));
      if (q.status !== undefined) (where.push('status = ?'), params.push(q.status));
      if (q.methods !== undefined) (where.push(`method IN (${q.methods.map(() => '?').join(', ') || 'NULL'})`), params.push(...q.methods));
      if (q.paths !== undefined) (where.push(`path IN (${q.paths.map(() => '?').join(', ') || 'NULL'})`), params.push(...q.paths));
      if (q.since !== undefined) (where.push('ts >= ?'), params.push(timeParam(q.since, 'since')));
      params.push(q.limit);
      const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
      return (stmt(sql).all(...params) as AuditRow[]).map(toRecord);
    }),
    stats: () =>
      guarded(() => {
        const rows = stmt('SELECT kind, key, n FROM audit_counts').all() as { kind: string; key: string; n: number }[];
        return auditStatsFrom(
          rows.filter((r) => r.kind === 'path').map((r) => [r.key, r.n]),
          rows.filter((r) => r.kind === 'status').map((r) => [r.key, r.n]),
        );
      }),
  };
}
