import type { ServiceRecord } from '@aetherlink/core';
import { effectiveStatus } from './leases.js';
import { checkSchema, type Check } from './schemas.js';
import type { ServiceHealth, ServiceView } from './types.js';

// The store keeps `check` as a document. One this version's schema refuses (edited by hand in the database, or
// migrated from a hand-edited meta key) reads as absent, so the checker falls back to its defaults. Every probe
// reads the settings back and validating each time showed up in the benchmark's profile, so verdicts are kept
// by the settings' text (bounded: cleared when full).
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 10_000;

function validCheck(check: Record<string, unknown> | null): Check | null {
  if (check === null) return null;
  const text = JSON.stringify(check);
  let valid = verdicts.get(text);
  if (valid === undefined) {
    valid = checkSchema.safeParse(check).success;
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    verdicts.set(text, valid);
  }
  // The schema neither adds nor changes fields, so a valid document is its own parsed form.
  return valid ? (check as Check) : null;
}

/**
 * A stored record as the registry shows it at `now`: the lease applied to the status. Pure.
 * @example toServiceView(record, clock.now()).status // 'down' once the lease ran out
 */
export function toServiceView(record: ServiceRecord, now: number): ServiceView {
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
    ttl_seconds: record.ttl_seconds,
    lease_expires_at: record.lease_expires_at,
    meta: record.meta,
    check: validCheck(record.check),
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
