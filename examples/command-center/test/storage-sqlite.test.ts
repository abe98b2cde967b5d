import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publishBurstThenCrash, runUntilExit, startServer, tempDbPath } from './helpers.js';

const AGENT = { 'x-user-roles': 'agent', 'content-type': 'application/json' };
const OPERATOR = { 'x-user-roles': 'operator' };

/** Every stored event of a source, paging through /events/recent. */
async function allIds(url: string, source: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const res = await fetch(`${url}/events/recent?source=${source}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`, { headers: OPERATOR });
    const page = (await res.json()) as { events: { id: string }[]; next_cursor: string | null };
    for (const e of page.events) ids.add(e.id);
    cursor = page.next_cursor;
  } while (cursor);
  return ids;
}

describe('the reference server on SQLite', () => {
  it('keeps events and the audit trail across a restart', async () => {
    const db = tempDbPath();
    const first = await startServer({ AETHERLINK_DB: db });
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${first.url}/events/publish`, { method: 'POST', headers: AGENT, body: JSON.stringify({ type: 'restart.test', source: 'keep', id: `k${i}` }) });
      expect(res.status).toBe(200);
    }
    await fetch(`${first.url}/audit/stats`);
    const before = (await (await fetch(`${first.url}/audit/stats`, { headers: OPERATOR })).json()) as { total_requests: number; denied_401_unauthorized: number };
    expect(before.denied_401_unauthorized).toBe(1);
    expect(await first.stop()).toBe(0);

    const second = await startServer({ AETHERLINK_DB: db });
    try {
      expect([...(await allIds(second.url, 'keep'))].sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
      const after = (await (await fetch(`${second.url}/audit/stats`, { headers: OPERATOR })).json()) as { total_requests: number; denied_401_unauthorized: number };
      expect(after.total_requests).toBeGreaterThan(before.total_requests);
      expect(after.denied_401_unauthorized).toBe(1);
      const instance = (await (await fetch(`${second.url}/ops/instance`, { headers: OPERATOR })).json()) as { store: string; loops: { name: string; active: boolean }[] };
      expect(instance.store).toBe(`sqlite ${db}`);
      expect(instance.loops.every((l) => l.active)).toBe(true);
    } finally {
      await second.stop();
    }
  });

  it('registers itself in its own registry, and deregisters on a graceful stop', async () => {
    const db = tempDbPath();
    const first = await startServer({ AETHERLINK_DB: db });
    const names = async (s: { url: string }) =>
      ((await (await fetch(`${s.url}/ops/services`, { headers: OPERATOR })).json()) as { services: { name: string; tags: string[] }[] }).services;
    await expect.poll(async () => (await names(first)).map((s) => s.name), { timeout: 10_000 }).toEqual(['aetherlink-command-center']);
    expect((await names(first))[0]!.tags).toContain('control-plane');
    expect(await first.stop()).toBe(0);
    const second = await startServer({ AETHERLINK_DB: db, SELF_REGISTER: 'false' });
    try {
      expect(await names(second)).toEqual([]);
    } finally {
      await second.stop();
    }
  });

  it('loses no acknowledged event when killed with SIGKILL in the middle of a burst', async () => {
    const db = tempDbPath();
    const acked = await publishBurstThenCrash(await startServer({ AETHERLINK_DB: db }), 300, 15_000);

    const again = await startServer({ AETHERLINK_DB: db });
    try {
      const stored = await allIds(again.url, 'burst');
      const lost = acked.filter((id) => !stored.has(id));
      expect(lost, `${lost.length} of ${acked.length} acknowledged events are missing`).toEqual([]);
    } finally {
      await again.stop();
    }
  }, 60_000);

  it('refuses to start on a file that is not a database, or that it cannot write, and says which', async () => {
    const corrupt = tempDbPath();
    writeFileSync(corrupt, 'not a database '.repeat(200));
    const bad = await runUntilExit({ AETHERLINK_DB: corrupt });
    expect(bad.code).toBe(1);
    expect(bad.output).toContain(`the SQLite file ${corrupt} is not a SQLite database or is corrupt`);
    expect(bad.output).not.toMatch(/\n\s+at /);

    const readonly = tempDbPath();
    const first = await startServer({ AETHERLINK_DB: readonly });
    await first.stop();
    expect(spawnSync('chattr', ['+i', readonly]).status).toBe(0);
    try {
      const ro = await runUntilExit({ AETHERLINK_DB: readonly });
      expect(ro.code).toBe(1);
      expect(ro.output).toContain(`the SQLite file ${readonly} cannot be written`);
      expect(ro.output).not.toMatch(/\n\s+at /);
    } finally {
      spawnSync('chattr', ['-i', readonly]);
    }
  }, 30_000);
});
