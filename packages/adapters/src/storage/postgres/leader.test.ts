import { createLoop, type Campaign, type LeaderElection, type Loop } from '@aetherlink/core';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '@aetherlink/core/testing';
import { postgresLeaderElection } from './leader.js';
import { sql, testDatabaseUrl, uniqueSchema } from './test-support.js';

const POLL_MS = 100;

let elections: (LeaderElection & { close(): Promise<void> })[] = [];
afterEach(async () => {
  await Promise.all(elections.map((e) => e.close()));
  elections = [];
});

interface Candidate {
  name: string;
  campaign: Campaign;
  terms: AbortSignal[];
}

const candidate = (name: string, schema: string, role: string): Candidate => {
  const election = postgresLeaderElection({ connectionString: testDatabaseUrl(), schema, instanceId: name, pollMs: POLL_MS });
  elections.push(election);
  const terms: AbortSignal[] = [];
  const campaign = election.campaign(role, (signal) => terms.push(signal));
  return { name, campaign, terms };
};

const leaders = (cs: Candidate[]) => cs.filter((c) => c.campaign.isLeader());
const sessionPid = async (instance: string, role: string) => {
  const rows = await sql<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`aetherlink-leader:${instance}:${role}`]);
  return rows[0]?.pid;
};

/** Samples for `ms` and fails if at any moment there was not exactly one leader. */
const exactlyOneThroughout = async (cs: Candidate[], ms: number) => {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    expect(leaders(cs).length).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('postgres leader election', () => {
  it('elects exactly one of two candidates for a role, and keeps it so', async () => {
    const schema = uniqueSchema('lead');
    const cs = [candidate('alpha', schema, 'sweeper'), candidate('beta', schema, 'sweeper')];
    await eventually(() => leaders(cs).length === 1, 'one leader');
    await exactlyOneThroughout(cs, 1000);
    const [leader] = leaders(cs);
    expect(leader!.terms).toHaveLength(1);
    expect(leader!.terms[0]!.aborted).toBe(false);
  });

  it('hands the role over within a few polls when the leader session is killed, aborting the old term', async () => {
    const schema = uniqueSchema('lead');
    const cs = [candidate('gamma', schema, 'sweeper'), candidate('delta', schema, 'sweeper')];
    const [first] = await eventually(() => (leaders(cs).length === 1 ? leaders(cs) : undefined), 'one leader');
    const other = cs.find((c) => c !== first)!;
    const oldTerm = first!.terms[0]!;
    const pid = await eventually(() => sessionPid(first!.name, 'sweeper'), 'the leader session');

    const killedAt = Date.now();
    await sql('SELECT pg_terminate_backend($1)', [pid]);
    await eventually(() => oldTerm.aborted, 'the old term to abort', 3000, 5);
    const abortedAfter = Date.now() - killedAt;
    await eventually(() => other.campaign.isLeader(), 'the other candidate to lead', 3000, 10);
    const tookOverAfter = Date.now() - killedAt;
    expect(abortedAfter).toBeLessThan(1000);
    expect(tookOverAfter).toBeLessThan(3000);
    expect(other.terms.at(-1)!.aborted).toBe(false);
    // The old leader reconnects and campaigns again, as a follower.
    await eventually(async () => (await sessionPid(first!.name, 'sweeper')) !== undefined, 'the old leader to reconnect');
    await exactlyOneThroughout(cs, 600);
    expect(first!.campaign.isLeader()).toBe(false);
  });

  it('aborts the term the moment the session dies, not at the next poll', async () => {
    const schema = uniqueSchema('lead');
    const election = postgresLeaderElection({ connectionString: testDatabaseUrl(), schema, instanceId: 'slowpoll', pollMs: 10_000 });
    elections.push(election);
    const terms: AbortSignal[] = [];
    election.campaign('r', (signal) => terms.push(signal));
    await eventually(() => terms.length === 1, 'the only candidate to lead');
    const pid = await eventually(() => sessionPid('slowpoll', 'r'), 'the leader session');
    const killedAt = Date.now();
    await sql('SELECT pg_terminate_backend($1)', [pid]);
    await eventually(() => terms[0]!.aborted, 'the term to abort', 2000, 5);
    expect(Date.now() - killedAt).toBeLessThan(1000);
    expect(String((terms[0]!.reason as Error).message)).toMatch(/terminat|ended/i);
  });

  it('releases the role on stop, so a follower takes it at its next poll', async () => {
    const schema = uniqueSchema('lead');
    const cs = [candidate('eps', schema, 'r'), candidate('zeta', schema, 'r')];
    const [first] = await eventually(() => (leaders(cs).length === 1 ? leaders(cs) : undefined), 'one leader');
    const other = cs.find((c) => c !== first)!;
    await first!.campaign.stop();
    expect(first!.terms[0]!.aborted).toBe(true);
    expect(first!.campaign.isLeader()).toBe(false);
    await eventually(() => other.campaign.isLeader(), 'the follower to lead', 2000, 10);
    expect(await sessionPid(first!.name, 'r')).toBeUndefined();
  });

  it("runs core's loops on one instance only, and moves them when that instance stops", async () => {
    const schema = uniqueSchema('lead');
    const runs = new Map<string, number>();
    const loops: Loop[] = ['i1', 'i2'].map((name) => {
      const leader = postgresLeaderElection({ connectionString: testDatabaseUrl(), schema, instanceId: name, pollMs: POLL_MS });
      elections.push(leader);
      return createLoop({ name: 'lease-expiry', intervalMs: 20, leader, run: () => void runs.set(name, (runs.get(name) ?? 0) + 1) });
    });
    try {
      for (const loop of loops) loop.start();
      await eventually(() => loops.some((l) => l.active()), 'one loop to become active');
      await new Promise((r) => setTimeout(r, 500));
      expect(loops.filter((l) => l.active())).toHaveLength(1);
      expect(runs.size).toBe(1);
      const active = loops.find((l) => l.active())!;
      const idle = loops.find((l) => l !== active)!;
      await active.stop();
      await eventually(() => idle.active(), 'the other instance to take the loop over', 3000, 10);
      await eventually(() => runs.size === 2, 'the other instance to run passes');
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
    }
  });

  it('keeps roles and schemas apart', async () => {
    const s1 = uniqueSchema('lead');
    const s2 = uniqueSchema('lead');
    const a = candidate('one', s1, 'x');
    const b = candidate('two', s1, 'y');
    const c = candidate('three', s2, 'x');
    await eventually(() => a.campaign.isLeader() && b.campaign.isLeader() && c.campaign.isLeader(), 'each to lead its own role');
  });
});
