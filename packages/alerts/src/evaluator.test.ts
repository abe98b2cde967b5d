import { collection } from '@aetherlink/core';
import { memoryLogger } from '@aetherlink/core/testing';
import { describe, expect, it, vi } from 'vitest';
import { alertWorld, evaluatorUnderTest, recordingNotifier } from './_testing/harness.js';
import { alertStatesCollection } from './collections.js';

const S = 1000;
const rule = { name: 'api-errors', severity: 'error' as const, event_type: 'api.error', window_seconds: 60, threshold: 3 };

const alertEvents = async (w: ReturnType<typeof alertWorld>) =>
  (await w.bus.query({ type: 'ops.alert.*', limit: 100 })).events.reverse().map((e) => ({ type: e.type, id: e.id, data: e.data as Record<string, unknown>, severity: e.severity }));

/** A world where an evaluator queued a firing notice and died before its notifier took it (owner `crashed`). */
async function noticeLeftByCrashedEvaluator(): Promise<ReturnType<typeof alertWorld>> {
  const w = alertWorld();
  await w.rules.create(rule);
  const crashed = evaluatorUnderTest({ ...w, owner: 'crashed' });
  crashed.notifier.fail = 100;
  await w.publish(3);
  await crashed.tick();
  return w;
}

describe('alert evaluator', () => {
  it('counts events as they arrive (no store query per tick), fires once per episode and resolves once', async () => {
    const w = alertWorld();
    await w.rules.create(rule);
    const a = evaluatorUnderTest({ ...w, owner: 'a' });
    expect((await a.tick()).rebuilt).toEqual({ rules: 1, events: 0 });
    const query = vi.spyOn(w.bus.store, 'query');
    await w.publish(2);
    expect((await a.tick()).alerts).toEqual({ pending: 0, firing: 0, resolved: 0 });
    await w.publish(1);
    w.clock.advance(15 * S);
    const fired = await a.tick();
    expect(fired.transitions.map((t) => [t.from, t.to])).toEqual([['inactive', 'pending'], ['pending', 'firing']]);
    expect(fired.notifications).toEqual({ sent: 1, silenced: 0, failed: 0 });
    for (let i = 0; i < 2; i++) {
      w.clock.advance(15 * S);
      await w.publish(1);
      expect((await a.tick()).notifications.sent).toBe(0);
    }
    expect(query).not.toHaveBeenCalled();
    // The last events (at 45 s) leave the 60 s window at 105 s, give or take its 60 ms slots.
    w.clock.advance(61 * S);
    const resolved = await a.tick();
    expect(resolved.transitions.map((t) => [t.from, t.to])).toEqual([['firing', 'resolved']]);
    expect(a.notifier.notices.map((n) => [n.status, n.count])).toEqual([['firing', 3], ['resolved', 0]]);
    const events = await alertEvents(w);
    expect(events.map((e) => e.type)).toEqual(['ops.alert.raised', 'ops.alert.resolved']);
    expect(events[0]).toMatchObject({ severity: 'error', data: { rule_name: 'api-errors', count: 3, threshold: 3, silenced: false } });
    expect(a.notifier.notices[0]!.event_id).toBe(events[0]!.id);
    expect(a.notifier.notices[1]!.event_id).toBe(events[1]!.id);
    expect(a.notifier.notices[0]!.episode_id).toBe(a.notifier.notices[1]!.episode_id);
  });

  it('waits for_seconds in pending and keeps firing for keep_firing_for_seconds, on the injected clock', async () => {
    const w = alertWorld();
    await w.rules.create({ ...rule, for_seconds: 30, keep_firing_for_seconds: 45 });
    const a = evaluatorUnderTest({ ...w, owner: 'a' });
    await w.publish(3);
    expect((await a.tick()).alerts.pending).toBe(1);
    w.clock.advance(29 * S);
    expect((await a.tick()).alerts).toMatchObject({ pending: 1, firing: 0 });
    w.clock.advance(1 * S);
    expect((await a.tick()).alerts).toMatchObject({ pending: 0, firing: 1 });
    w.clock.advance(31 * S); // the events left the window at 60 s
    expect((await a.tick()).alerts.firing).toBe(1);
    w.clock.advance(44 * S);
    expect((await a.tick()).alerts.firing).toBe(1);
    w.clock.advance(1 * S);
    expect((await a.tick()).alerts).toMatchObject({ firing: 0, resolved: 1 });
    expect(a.notifier.notices.map((n) => n.status)).toEqual(['firing', 'resolved']);
  });

  it('keeps one alert per group_by value, each with its own episode and notices', async () => {
    const w = alertWorld();
    await w.rules.create({ ...rule, group_by: ['source', 'data.region'] });
    const a = evaluatorUnderTest({ ...w, owner: 'a' });
    await a.tick();
    await w.publish(3, { source: 'billing', data: { region: 'eu' } });
    await w.publish(2, { source: 'search', data: { region: 'eu' } });
    await w.publish(4, { source: 'search', data: { region: 'us' } });
    const report = await a.tick();
    expect(report.alerts.firing).toBe(2);
    expect(a.notifier.notices.map((n) => [n.group, n.count]).sort()).toEqual([
      [{ source: 'billing', 'data.region': 'eu' }, 3],
      [{ source: 'search', 'data.region': 'us' }, 4],
    ]);
    expect(new Set(a.notifier.notices.map((n) => n.episode_id)).size).toBe(2);
    await w.publish(1, { source: 'search', data: { region: 'eu' } });
    await a.tick();
    expect(a.notifier.notices).toHaveLength(3);
  });

  it('records a silenced alert (state and event) without notifying, and notifies it once the silence ends', async () => {
    const w = alertWorld();
    const created = await w.rules.create({ ...rule, group_by: ['source'] });
    await w.silences.create({ matchers: { rule: 'api-errors', source: 'billing' }, ends_at: new Date(w.clock.now() + 30 * S).toISOString() });
    const a = evaluatorUnderTest({ ...w, owner: 'a' });
    await w.publish(3, { source: 'billing' });
    await w.publish(3, { source: 'search' });
    const report = await a.tick();
    expect(report.notifications).toEqual({ sent: 1, silenced: 1, failed: 0 });
    expect(a.notifier.notices.map((n) => n.group)).toEqual([{ source: 'search' }]);
    const states = await collection(w.documents, alertStatesCollection).list({ where: { rule_id: created.id } });
    expect(states.map((s) => [s.data.group.source, s.data.status, s.data.silenced_by !== null])).toEqual(
      expect.arrayContaining([['billing', 'firing', true], ['search', 'firing', false]]),
    );
    expect((await alertEvents(w)).map((e) => [e.data.group, e.data.silenced])).toEqual(expect.arrayContaining([[{ source: 'billing' }, true], [{ source: 'search' }, false]]));
    w.clock.advance(15 * S);
    await w.publish(3, { source: 'billing' });
    await a.tick();
    expect(a.notifier.notices).toHaveLength(1);
    w.clock.advance(15 * S);
    await a.tick();
    expect(a.notifier.notices.map((n) => [n.group.source, n.status])).toEqual([['search', 'firing'], ['billing', 'firing']]);
    expect((await alertEvents(w)).filter((e) => e.type === 'ops.alert.raised')).toHaveLength(2);
  });

  it('re-notifies a still-firing alert once per repeat interval, not on every tick', async () => {
    const w = alertWorld();
    await w.rules.create({ ...rule, window_seconds: 600 });
    const a = evaluatorUnderTest({ ...w, owner: 'a', repeatIntervalMs: 3600 * S });
    await w.publish(2);
    for (let t = 0; t <= 2 * 3600; t += 60) {
      await w.publish(1);
      if (t % 300 === 0) await a.tick();
      w.clock.advance(60 * S);
    }
    expect(a.notifier.notices.map((n) => n.notification_id?.split(':')[1])).toEqual(['firing', 'repeat-1', 'repeat-2']);
    expect((await alertEvents(w)).map((e) => e.type)).toEqual(['ops.alert.raised']);
  });

  it('after a restart rebuilds its windows from the event store and does not notify the episode again', async () => {
    const w = alertWorld();
    await w.rules.create(rule);
    const first = evaluatorUnderTest({ ...w, owner: 'a' });
    await w.publish(4);
    await first.tick();
    first.evaluator.close();
    w.clock.advance(20 * S);
    const second = evaluatorUnderTest({ ...w, owner: 'a2' });
    const report = await second.tick();
    expect(report.rebuilt).toEqual({ rules: 1, events: 4 });
    expect(report).toMatchObject({ alerts: { firing: 1 }, transitions: [], notifications: { sent: 0 } });
    w.clock.advance(41 * S);
    expect((await second.tick()).transitions.map((t) => t.to)).toEqual(['resolved']);
    expect([...first.notifier.notices, ...second.notifier.notices].map((n) => n.status)).toEqual(['firing', 'resolved']);
  });

  it('drops its windows when leadership ends and rebuilds them, events published meanwhile included, in the next term', async () => {
    const w = alertWorld();
    await w.rules.create(rule);
    const a = evaluatorUnderTest({ ...w, owner: 'a' });
    await a.tick();
    await w.publish(2);
    a.term.abort();
    expect(a.evaluator.windows()).toEqual({ live: false, rules: 0, groups: 0 });
    await w.publish(1);
    a.newTerm();
    const report = await a.tick();
    expect(report.rebuilt).toEqual({ rules: 1, events: 3 });
    expect(report.alerts.firing).toBe(1);
    expect(a.evaluator.windows()).toEqual({ live: true, rules: 1, groups: 1 });
  });

  it('evaluates from the store when called outside a leadership term (another instance asked for it)', async () => {
    const w = alertWorld();
    await w.rules.create(rule);
    const a = evaluatorUnderTest({ ...w, owner: 'a' });
    await w.publish(3);
    const report = await a.evaluator.evaluate();
    expect(report).toMatchObject({ rebuilt: { rules: 1, events: 3 }, alerts: { firing: 1 } });
    expect(a.evaluator.windows().live).toBe(false);
  });

  it('keeps a notice queued when the notifier fails and delivers it once at the next tick, its event stored once', async () => {
    const w = alertWorld();
    await w.rules.create(rule);
    const { logger, lines } = memoryLogger();
    const a = evaluatorUnderTest({ ...w, owner: 'a', logger });
    a.notifier.fail = 1;
    await w.publish(3);
    expect((await a.tick()).notifications).toEqual({ sent: 0, silenced: 0, failed: 1 });
    expect(lines.some((l) => l.level === 'warn' && /stays queued/.test(String(l.msg)))).toBe(true);
    const [state] = await collection(w.documents, alertStatesCollection).list();
    expect(state!.data.outbox).toHaveLength(1);
    expect((await a.tick()).notifications).toEqual({ sent: 1, silenced: 0, failed: 0 });
    expect(a.notifier.notices).toHaveLength(1);
    expect((await collection(w.documents, alertStatesCollection).list())[0]!.data.outbox).toEqual([]);
    expect((await alertEvents(w)).map((e) => e.type)).toEqual(['ops.alert.raised']);
  });

  it('leaves notices another evaluator queued to it until its grace period has passed, then takes them over', async () => {
    const w = await noticeLeftByCrashedEvaluator();
    const b = evaluatorUnderTest({ ...w, owner: 'b', outboxGraceMs: 60 * S });
    w.clock.advance(30 * S);
    expect((await b.tick()).notifications.sent).toBe(0);
    w.clock.advance(30 * S);
    expect((await b.tick()).notifications.sent).toBe(1);
    expect(b.notifier.notices.map((n) => n.status)).toEqual(['firing']);
  });

  it('takes over the notices of a previous leader once its own term is outboxTakeoverMs old, not after the grace', async () => {
    const w = await noticeLeftByCrashedEvaluator();
    w.clock.advance(1 * S);
    // Elected after the crash: the first tick starts its term.
    const b = evaluatorUnderTest({ ...w, owner: 'b', outboxGraceMs: 60 * S, outboxTakeoverMs: 10 * S });
    expect((await b.tick()).notifications.sent).toBe(0);
    w.clock.advance(9 * S);
    expect((await b.tick()).notifications.sent).toBe(0);
    w.clock.advance(1 * S);
    expect((await b.tick()).notifications.sent).toBe(1);
    expect(b.notifier.notices.map((n) => n.status)).toEqual(['firing']);
  });

  it('leaves a notice queued by another evaluator during its own term to the grace period, and starts over with a new term', async () => {
    const w = alertWorld();
    await w.rules.create(rule);
    const b = evaluatorUnderTest({ ...w, owner: 'b', outboxGraceMs: 60 * S, outboxTakeoverMs: 10 * S });
    await b.tick();
    w.clock.advance(1 * S);
    // Another evaluator at work at the same time (two leaders would be a fault elsewhere): its notice is not taken.
    const other = evaluatorUnderTest({ ...w, owner: 'other' });
    other.notifier.fail = 100;
    await w.publish(3);
    await other.tick();
    w.clock.advance(20 * S);
    expect((await b.tick()).notifications.sent).toBe(0);
    // A new term of b starts its own count: the notice predates it, and is taken once that term is 10 s old.
    b.newTerm();
    expect((await b.tick()).notifications.sent).toBe(0);
    w.clock.advance(10 * S);
    expect((await b.tick()).notifications.sent).toBe(1);
  });

  it('resolves the alerts of a rule that is disabled or removed, and rebuilds windows when what a rule counts changes', async () => {
    const w = alertWorld();
    const r = await w.rules.create(rule);
    const other = await w.rules.create({ ...rule, name: 'timeouts', event_type: 'api.timeout' });
    const a = evaluatorUnderTest({ ...w, owner: 'a' });
    await w.publish(3);
    await w.publish(3, { type: 'api.timeout' });
    expect((await a.tick()).alerts.firing).toBe(2);
    await w.rules.setEnabled(r.id, false);
    await w.rules.remove(other.id);
    expect((await a.tick()).transitions.map((t) => [t.rule_name, t.to]).sort()).toEqual([['api-errors', 'resolved'], ['timeouts', 'resolved']]);
    await w.rules.replace(r.id, { ...rule, event_type: 'api.timeout', enabled: true });
    const report = await a.tick();
    expect(report.rebuilt).toEqual({ rules: 1, events: 3 });
    expect(report.transitions.map((t) => t.to)).toEqual(['pending', 'firing']);
  });

  it('never counts its own alert events for a rule over every type, and bounds the groups of one rule', async () => {
    const w = alertWorld();
    await w.rules.create({ ...rule, name: 'everything', event_type: null, threshold: 5, group_by: ['source'] });
    const { logger, lines } = memoryLogger();
    const a = evaluatorUnderTest({ ...w, owner: 'a', maxGroupsPerRule: 2, logger });
    await a.tick();
    for (const source of ['s1', 's2', 's3', 's4']) await w.publish(3, { source });
    const report = await a.tick();
    expect(a.notifier.notices.map((n) => [n.group.source, n.count])).toEqual([['(other)', 6]]);
    expect(report.alerts.firing).toBe(1);
    expect(lines.some((l) => /more groups than allowed/.test(String(l.msg)))).toBe(true);
    w.clock.advance(1000);
    await a.tick();
    expect(a.evaluator.windows().groups).toBe(3);
  });

  it('shares a notifier recording across evaluators without duplicates when both tick the same instant', async () => {
    const w = alertWorld();
    await w.rules.create(rule);
    const notifier = recordingNotifier();
    const a = evaluatorUnderTest({ ...w, owner: 'a', notifier });
    const b = evaluatorUnderTest({ ...w, owner: 'b', notifier });
    await w.publish(3);
    const reports = await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    expect(notifier.notices).toHaveLength(1);
    expect(reports.reduce((n, r) => n + r.conflicts, 0)).toBeGreaterThan(0);
    expect((await alertEvents(w)).map((e) => e.type)).toEqual(['ops.alert.raised']);
  });

  it('keeps a firing notice queued behind a silenced raise it shares its id with, until it is delivered', async () => {
    const w = alertWorld();
    await w.rules.create(rule);
    await w.silences.create({ matchers: { rule: 'api-errors' }, ends_at: new Date(w.clock.now() + 10 * S).toISOString() });
    const a = evaluatorUnderTest({ ...w, owner: 'a' });
    await w.publish(3);
    vi.spyOn(w.bus, 'publish').mockRejectedValueOnce(new Error('store away'));
    expect((await a.tick()).notifications).toMatchObject({ silenced: 0, failed: 1 });
    w.clock.advance(15 * S);
    a.notifier.fail = 1;
    expect((await a.tick()).notifications).toEqual({ sent: 0, silenced: 1, failed: 1 });
    expect((await collection(w.documents, alertStatesCollection).list())[0]!.data.outbox.map((i) => [i.publish, i.notify])).toEqual([[null, true]]);
    expect((await a.tick()).notifications).toEqual({ sent: 1, silenced: 0, failed: 0 });
    expect(a.notifier.notices.map((n) => [n.status, n.notification_id?.split(':')[1]])).toEqual([['firing', 'firing']]);
    expect((await alertEvents(w)).map((e) => [e.type, e.id.split(':')[1], e.data.silenced])).toEqual([['ops.alert.raised', 'raised', true]]);
  });
});
