import type { ServiceRecord } from '@aetherlink/core';
import { effectiveStatus } from './leases.js';
import { checkSchema, RESERVED_META_PREFIX, type Check } from './schemas.js';
import type { ServiceHealth, ServiceView } from './types.js';

// The store's ServiceRecord has no field for a lease's length or a check's settings; they ride in `meta` under
// reserved keys, so every RegistryStore (memory, SQLite, PostgreSQL) keeps them without a schema change.
const TTL_KEY = `${RESERVED_META_PREFIX}ttl_seconds`;
const CHECK_KEY = `${RESERVED_META_PREFIX}check`;

// Every probe reads a service's check settings back; parsing and validating the same JSON each time showed up in
// the benchmark's profile, so parsed settings are kept by their text (bounded: cleared when full).
const parsedChecks = new Map<string, Check | null>();
const MAX_PARSED_CHECKS = 10_000;

function parseCheck(text: string): Check | null {
  const cached = parsedChecks.get(text);
  if (cached !== undefined) return copyCheck(cached);
  let check: Check | null = null;
  try {
    const parsed = checkSchema.safeParse(JSON.parse(text));
    if (parsed.success) check = parsed.data;
  } catch {
    check = null;
  }
  if (parsedChecks.size >= MAX_PARSED_CHECKS) parsedChecks.clear();
  parsedChecks.set(text, check);
  return copyCheck(check);
}

// Callers may change the view they get; the cached settings must not change with it.
const copyCheck = (c: Check | null): Check | null =>
  c && { ...c, ...(c.body_ok ? { body_ok: [...c.body_ok] } : {}), ...(c.body_degraded ? { body_degraded: [...c.body_degraded] } : {}) };

/**
 * A record's `meta` with the lease length and check settings packed in.
 * @example packMeta({ team: 'ops' }, 90, null) // { team: 'ops', 'aetherlink.ttl_seconds': '90' }
 */
export function packMeta(meta: Record<string, string>, ttlSeconds: number | null, check: Check | null): Record<string, string> {
  const packed: Record<string, string> = { ...meta };
  if (ttlSeconds !== null) packed[TTL_KEY] = String(ttlSeconds);
  if (check) packed[CHECK_KEY] = JSON.stringify(check);
  return packed;
}

/**
 * Splits a record's `meta` back into the user's meta, the lease length and the check settings. Pure; values that
 * do not parse (edited by hand in the database) count as absent.
 * @example unpackMeta(record.meta).ttlSeconds // 90
 */
export function unpackMeta(meta: Record<string, string>): { meta: Record<string, string>; ttlSeconds: number | null; check: Check | null } {
  const user: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) if (!k.startsWith(RESERVED_META_PREFIX)) user[k] = v;
  const ttl = Number(meta[TTL_KEY]);
  const check = meta[CHECK_KEY] === undefined ? null : parseCheck(meta[CHECK_KEY]);
  return { meta: user, ttlSeconds: meta[TTL_KEY] !== undefined && Number.isInteger(ttl) && ttl > 0 ? ttl : null, check };
}

/**
 * A stored record as the registry shows it at `now`: lease applied to the status, meta unpacked. Pure.
 * @example toServiceView(record, clock.now()).status // 'down' once the lease ran out
 */
export function toServiceView(record: ServiceRecord, now: number): ServiceView {
  const { meta, ttlSeconds, check } = unpackMeta(record.meta);
  return {
    name: record.name,
    url: record.url,
    health_url: record.health_url,
    version: record.version,
    roles_required: record.roles_required,
    tags: record.tags,
    last_seen: record.last_seen,
    status: effectiveStatus(record, now),
    status_since: record.status_since,
    registered_at: record.registered_at,
    ttl_seconds: ttlSeconds,
    lease_expires_at: record.lease_expires_at,
    meta,
    check,
    last_check: record.last_check,
  };
}

/**
 * One line of a health report from a service view. Pure: a run-out lease and a never-probed service say so in `error`.
 * @example toServiceHealth(view, clock.now())
 */
export function toServiceHealth(view: ServiceView, now: number): ServiceHealth {
  const check = view.last_check;
  let error = check?.error ?? null;
  if (view.status === 'maintenance') error = null;
  else if (view.lease_expires_at !== null && now >= Date.parse(view.lease_expires_at)) error = `lease expired at ${view.lease_expires_at} (no heartbeat)`;
  else if (!check) error = 'not checked yet';
  return { name: view.name, status: view.status, latency_ms: check?.latency_ms ?? null, error, checked_at: check?.checked_at ?? null };
}
