import { createLoop, createManualClock, type Campaign, type LeaderElection, type ManualClock } from '@aetherlink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@aetherlink/core/testing';
import { postgresLeaderElection } from './leader.js';
import { sql, testDatabaseUrl, uniqueSchema } from '../../../../../test/postgres.js';

// Every election runs on a manual clock: a candidate polls only when the test moves its clock, so each check
// below follows a poll that has finished (a positive signal), never a stretch of wall-clock time.
const POLL_MS = 100;

let elections: (LeaderElection & { close(): Promise<void> })[] = [];
afterEach(async () => {
  await Promise.all(elections.map((e) => e.close()));
  elections = [];
});

interface Candidate {
  name: string;
  clock: ManualClock;
  campaign: Campaign;
  terms: AbortSignal[];
}

const election = (instanceId: string, schema: string, clock: ManualClock, pollMs = POLL_MS) => {
  const e = postgresLeaderElection({ connectionString: testDatabaseUrl(), schema, instanceId, pollMs, clock });
  elections.push(e);
  return e;
};

const candidate = (name: string, schema: string, role: string, pollMs = POLL_MS): Candidate => {
  const clock = createManualClock();
  const terms: AbortSignal[] = [];
  const campaign = election(name, schema, clock, pollMs).campaign(role, (signal) => terms.push(signal));
  return { name, clock, campaign, terms };
};

/** A campaign polls once at start and then arms its next poll on its clock: one pending timer = poll finished. */
const polled = (clock: ManualClock, what: string) => eventually(() => clock.pending() === 1, `${what} to finish its poll`);
/** Runs one more poll on this clock and waits for it to finish. */
const pollOnce = async (clock: ManualClock, what: string, pollMs = POLL_MS) => {
  clock.advance(pollMs);
  await polled(clock, what);
};

const leaders = (cs: Candidate[]) => cs.filter((c) => c.campaign.isLeader());
const sessionPid = async (instance: string, role: string) => {
  const rows = await sql<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`aetherlink-leader:${instance}:${role}`]);
  return rows[0]?.pid;
};
/** Kills a backend and returns once it is gone, with its advisory locks (the timeout form, PostgreSQL 14+). */
const terminate = async (pid: number) => {
  const [row] = await sql<{ gone: boolean }>('SELECT pg_terminate_backend($1, 10000) AS gone', [pid]);
  expect(row?.gone, `backend ${pid} still there 10 s after pg_terminate_backend`).toBe(true);
};

/** Two candidates for one role, after each has made its first bid; returns [leader, follower]. */
const pair = async (names: [string, string], role: string): Promise<[Candidate, Candidate]> => {
  const schema = uniqueSchema('lead');
  const cs = names.map((n) => candidate(n, schema, role));
  await Promise.all(cs.map((c) => polled(c.clock, c.name)));
  expect(leaders(cs)).toHaveLength(1);
  const [leader] = leaders(cs);
  return [leader!, cs.find((c) => c !== leader)!];
};

describe('postgres leader election', () => {
  it('elects exactly one of two candidates for a role, and keeps it so', async () => {
    const [leader, follower] = await pair(['alpha', 'beta'], 'sweeper');
    // The follower keeps bidding and keeps being refused; the leader keeps checking its session and the role.
    for (let i = 0; i < 5; i++) {
      await pollOnce(follower.clock, 'the follower');
      await pollOnce(leader.clock, 'the leader');
      expect(leaders([leader, follower])).toEqual([leader]);
    }
    expect(await sessionPid(follower.name, 'sweeper')).toBeDefined();
    expect(leader.terms).toHaveLength(1);
    expect(leader.terms[0]!.aborted).toBe(false);
    expect(follower.terms).toHaveLength(0);
  });

  it("hands the role over at the follower's next poll when the leader session is killed, aborting the old term", async () => {
    const [first, other] = await pair(['gamma', 'delta'], 'sweeper');
    const oldTerm = first.terms[0]!;
    const pid = await eventually(() => sessionPid(first.name, 'sweeper'), 'the leader session');

    await terminate(pid);
    // The old term ends with its session; the old leader's clock has not moved, so no poll of its own did it.
    await eventually(() => oldTerm.aborted, 'the old term to abort');
    expect(first.campaign.isLeader()).toBe(false);
    await pollOnce(other.clock, 'the follower');
    expect(other.campaign.isLeader()).toBe(true);
    expect(other.terms).toHaveLength(1);
    expect(other.terms[0]!.aborted).toBe(false);

    // The old leader reconnects at its next poll and campaigns again, as a follower.
    await pollOnce(first.clock, 'the old leader');
    const again = await sessionPid(first.name, 'sweeper');
    expect(again).toBeDefined();
    expect(again).not.toBe(pid);
    for (let i = 0; i < 3; i++) {
      await pollOnce(first.clock, 'the old leader');
      await pollOnce(other.clock, 'the new leader');
      expect(leaders([first, other])).toEqual([other]);
    }
    expect(first.terms).toHaveLength(1);
  });

  it('aborts the term the moment the session dies, not at the next poll', async () => {
    // A minute between polls, on a clock that never moves: only the session's death can end this term.
    const c = candidate('slowpoll', uniqueSchema('lead'), 'r', 60_000);
    await polled(c.clock, 'the only candidate');
    expect(c.terms).toHaveLength(1);
    const pid = await eventually(() => sessionPid('slowpoll', 'r'), 'the leader session');
    await terminate(pid);
    await eventually(() => c.terms[0]!.aborted, 'the term to abort');
    expect(c.campaign.isLeader()).toBe(false);
    expect(String((c.terms[0]!.reason as Error).message)).toMatch(/terminat|ended/i);
  });

  it('releases the role on stop, so a follower takes it at its next poll', async () => {
    const [first, other] = await pair(['eps', 'zeta'], 'r');
    await first.campaign.stop();
    expect(first.terms[0]!.aborted).toBe(true);
    expect(first.campaign.isLeader()).toBe(false);
    await pollOnce(other.clock, 'the follower');
    expect(other.campaign.isLeader()).toBe(true);
    await eventually(async () => (await sessionPid(first.name, 'r')) === undefined, "the stopped candidate's session to close");
  });

  it("runs core's loops on one instance only, and moves them when that instance stops", async () => {
    const schema = uniqueSchema('lead');
    const runs = new Map<string, number>();
    const instances = ['i1', 'i2'].map((name) => {
      const electionClock = createManualClock();
      const loopClock = createManualClock();
      const leader = election(name, schema, electionClock);
      const loop = createLoop({ name: 'lease-expiry', intervalMs: 20, leader, clock: loopClock, run: () => void runs.set(name, (runs.get(name) ?? 0) + 1) });
      return { name, electionClock, loopClock, loop };
    });
    try {
      for (const i of instances) i.loop.start();
      await Promise.all(instances.map((i) => polled(i.electionClock, i.name)));
      const active = instances.filter((i) => i.loop.active());
      expect(active).toHaveLength(1);
      const lead = active[0]!;
      const idle = instances.find((i) => i !== lead)!;
      await eventually(() => runs.get(lead.name) === 1, 'the first pass on the leading instance');
      // Pass after pass on the leader, while the other instance bids for the role each time and is refused.
      for (let pass = 2; pass <= 5; pass++) {
        await pollOnce(idle.electionClock, 'the idle instance');
        lead.loopClock.advance(20);
        await eventually(() => runs.get(lead.name) === pass, `pass ${pass} on the leading instance`);
        expect(idle.loop.active()).toBe(false);
      }
      expect([...runs.keys()]).toEqual([lead.name]);

      await lead.loop.stop();
      await pollOnce(idle.electionClock, 'the idle instance');
      expect(idle.loop.active()).toBe(true);
      await eventually(() => runs.get(idle.name) === 1, 'the first pass on the instance that took over');
    } finally {
      await Promise.all(instances.map((i) => i.loop.stop()));
    }
  });

  it('keeps roles and schemas apart', async () => {
    const s1 = uniqueSchema('lead');
    const s2 = uniqueSchema('lead');
    const a = candidate('one', s1, 'x');
    const b = candidate('two', s1, 'y');
    const c = candidate('three', s2, 'x');
    await Promise.all([a, b, c].map((x) => polled(x.clock, x.name)));
    expect([a, b, c].map((x) => x.campaign.isLeader())).toEqual([true, true, true]);
  });
});
