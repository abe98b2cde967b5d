import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeEvent } from '@aetherlink/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { BUCKETS_SQL } from './event-buckets.js';
import { sqliteStores, type SqliteStores } from './index.js';

let stores: SqliteStores | undefined;
afterEach(async () => {
  await stores?.close();
  stores = undefined;
});

describe('sqlite bucketed event counts', () => {
  it('reads only the (time_ms, severity) index of the window', async () => {
    stores = sqliteStores({ path: join(mkdtempSync(join(tmpdir(), 'aetherlink-buckets-')), 'a.db') });
    await stores.events.append(makeEvent({ time: '2026-03-01T12:00:00.000Z' }), '2026-03-01T12:00:00.000Z');
    const plan = (stores.db.prepare(`EXPLAIN QUERY PLAN ${BUCKETS_SQL}`).all({ from: 0, bucket: 60_000, until: 120_000 }) as { detail: string }[]).map((r) => r.detail);
    expect(plan.join('\n')).toMatch(/SEARCH events USING COVERING INDEX events_time_severity \(time_ms>\? AND time_ms<\?\)/);
  });
});
