import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { publishBurstThenCrash, runUntilExit, startServer, tempDbPath, type RunningServer } from './helpers.js';

// Each test starts the reference server as its own process, most of them twice: up to 60 s to start (helpers.ts)
// and 5 s to stop on a busy machine, each time.
vi.setConfig({ testTimeout: 180_000 });

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
    await expect.poll(async () => (await names(first)).map((s) => s.name)).toEqual(['aetherlink-command-center']);
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
    const acked = await publishBurstThenCrash(await startServer({ AETHERLINK_DB: db }), 300);

    const again = await startServer({ AETHERLINK_DB: db });
    try {
      const stored = await allIds(again.url, 'burst');
      const lost = acked.filter((id) => !stored.has(id));
      expect(lost, `${lost.length} of ${acked.length} acknowledged events are missing`).toEqual([]);
    } finally {
      await again.stop();
    }
  });

  it('keeps no more events than RETENTION_EVENTS_MAX: the leader retention pass removes the oldest', async () => {
    const server = await startServer({ AETHERLINK_DB: tempDbPath(), RETENTION_EVENTS_MAX: '5', RETENTION_INTERVAL_SECONDS: '1', RETENTION_BATCH: '2' });
    try {
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${server.url}/events/publish`, { method: 'POST', headers: AGENT, body: JSON.stringify({ type: 'retention.test', source: 'bounded', id: `b${i}` }) });
        expect(res.status).toBe(200);
      }
      const total = async () => ((await (await fetch(`${server.url}/events/stats`, { headers: OPERATOR })).json()) as { total: number }).total;
      await expect.poll(total).toBe(5);
      expect([...(await allIds(server.url, 'bounded'))].sort()).toEqual(['b10', 'b11', 'b7', 'b8', 'b9']);
    } finally {
      await server.stop();
    }
  });

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
  });
});

describe('the reference server on SQLite when the disk fills up', () => {
  // A filesystem of its own, small enough to fill with a hundred publishes (the test runs as root, like the
  // chattr test above; without root it fails here, saying why, rather than skipping).
  const servers: RunningServer[] = [];
  let dir: string | undefined;
  let mounted = false;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aetherlink-full-'));
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', dir], { encoding: 'utf8' });
    if (mount.status !== 0) throw new Error(`cannot mount a 2 MiB tmpfs on ${dir} (this test needs root): ${mount.stderr || mount.error}`);
    mounted = true;
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    if (mounted) {
      const umount = spawnSync('umount', [dir!], { encoding: 'utf8' });
      if (umount.status !== 0) throw new Error(`could not unmount ${dir}: ${umount.stderr}`);
    }
    if (dir) rmdirSync(dir);
  });

  it('answers 503 problem+json while the disk is full, recovers when space returns, and loses no acknowledged event', async () => {
    const db = join(dir!, 'aetherlink.db');
    const server = await startServer({ AETHERLINK_DB: db });
    servers.push(server);
    const acked: string[] = [];
    // Room for the schema, the WAL and a few publishes; then 16 KB publishes fill it in about a hundred.
    const pad = 'x'.repeat(16_000);
    let n = 0;
    /** One publish; remembers its id when acknowledged; anything but 200 or a 503 problem fails the test. */
    const publish = async (data: unknown = { n }) => {
      const id = `full-${n++}`;
      const res = await fetch(`${server.url}/events/publish`, { method: 'POST', headers: AGENT, body: JSON.stringify({ type: 'disk.full.test', source: 'full', id, data }) });
      const body = (await res.json()) as { code?: string };
      expect([200, 503], `${id} answered ${res.status}: ${JSON.stringify(body)}`).toContain(res.status);
      if (res.status === 200) acked.push(id);
      else {
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(body).toMatchObject({ code: 'unavailable', status: 503 });
      }
      return res.status;
    };

    for (let i = 0; i < 5; i++) expect(await publish()).toBe(200);
    // Fill the filesystem through the API until the store says it cannot write.
    let filled = false;
    for (let i = 0; i < 1000 && !filled; i++) filled = (await publish({ pad })) === 503;
    expect(filled, `no 503 after ${acked.length} acknowledged publishes of 16 KB`).toBe(true);
    // While full: small publishes are refused the same way, reads still answer, and the process stays up.
    const during = [];
    for (let i = 0; i < 5; i++) during.push(await publish());
    expect(during).toContain(503);
    expect((await fetch(`${server.url}/events/recent?source=full&limit=1`, { headers: OPERATOR })).status).toBe(200);
    expect(server.proc.exitCode).toBeNull();

    const grow = spawnSync('mount', ['-o', 'remount,size=8m', dir!], { encoding: 'utf8' });
    expect(grow.status, `remount failed: ${grow.stderr}`).toBe(0);
    await expect.poll(() => publish()).toBe(200);
    for (let i = 0; i < 5; i++) expect(await publish()).toBe(200);

    const stored = await allIds(server.url, 'full');
    expect(acked.filter((id) => !stored.has(id)), 'acknowledged events missing while serving').toEqual([]);
    // And on disk: a restart on the same file finds every one of them.
    expect(await server.stop()).toBe(0);
    const again = await startServer({ AETHERLINK_DB: db });
    servers.push(again);
    const reread = await allIds(again.url, 'full');
    expect(acked.filter((id) => !reread.has(id)), 'acknowledged events missing after a restart').toEqual([]);
    expect(reread.size).toBe(acked.length);
  });
});
