import { describe, expect, it } from 'vitest';
import { decideAlert, summaryOf, type DecideContext } from './decide.js';
import type { AlertRule, AlertState } from './types.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const S = 1000;

const makeRule = (over: Partial<AlertRule> = {}): AlertRule => ({
  id: 'r1',
  name: 'api-errors',
  enabled: true,
  version: 1,
  created_at: new Date(T0).toISOString(),
  updated_at: new Date(T0).toISOString(),
  severity: 'error',
  event_type: 'api.error',
  source: null,
  tenant: null,
  window_seconds: 60,
  threshold: 3,
  for_seconds: 0,
  keep_firing_for_seconds: 0,
  repeat_interval_seconds: null,
  group_by: [],
  description: null,
  ...over,
});

/** Drives one alert through ticks like the evaluator does: the document written each time something changed. */
function alert(rule: AlertRule | null, ctx: Partial<DecideContext> = {}) {
  let state: AlertState | null = null;
  const notices: { kind: string; notify: boolean; publish: string | null; at: number }[] = [];
  return {
    get state() {
      return state;
    },
    step(at: number, count: number, extra: Partial<DecideContext> = {}, r: AlertRule | null = rule) {
      const d = decideAlert(r, state, { alertId: 'r1~all', ruleId: 'r1', groupKey: '{}', labels: {}, count }, {
        now: T0 + at,
        silence: null,
        repeatMs: 4 * 3600 * S,
        retentionMs: 3600 * S,
        owner: 'a',
        ...ctx,
        ...extra,
      });
      if (d.changed) {
        const before = state?.outbox.length ?? 0;
        for (const n of d.next?.outbox.slice(before) ?? []) notices.push({ kind: n.notification.notification_id.split(':')[1]!, notify: n.notify, publish: n.publish, at });
        state = d.next ? { ...d.next, outbox: [] } : null;
      }
      return d;
    },
    notices,
  };
}

describe('decideAlert: states', () => {
  it('fires at once without for_seconds: inactive → pending → firing in one tick, with one raised event and one notice', () => {
    const a = alert(makeRule());
    expect(a.step(0, 2).changed).toBe(false);
    expect(a.state).toBeNull();
    const d = a.step(15 * S, 3);
    expect(d.transitions).toEqual([{ from: 'inactive', to: 'pending' }, { from: 'pending', to: 'firing' }]);
    expect(a.state).toMatchObject({ status: 'firing', count: 3, firing_since: new Date(T0 + 15 * S).toISOString(), episode_id: `r1~all~${(T0 + 15 * S).toString(36)}` });
    expect(a.notices).toEqual([{ kind: 'firing', notify: true, publish: 'ops.alert.raised', at: 15 * S }]);
  });

  it('holds pending for for_seconds, then fires; pending that drops below threshold goes back to inactive without a notice', () => {
    const a = alert(makeRule({ for_seconds: 60 }));
    expect(a.step(0, 5).transitions).toEqual([{ from: 'inactive', to: 'pending' }]);
    expect(a.state?.status).toBe('pending');
    expect(a.step(30 * S, 5).changed).toBe(false);
    expect(a.step(45 * S, 1).transitions).toEqual([{ from: 'pending', to: 'inactive' }]);
    expect(a.state).toBeNull();
    a.step(60 * S, 4);
    expect(a.step(119 * S, 4).changed).toBe(false);
    expect(a.step(120 * S, 4).transitions).toEqual([{ from: 'pending', to: 'firing' }]);
    expect(a.notices.map((n) => [n.kind, n.at])).toEqual([['firing', 120 * S]]);
  });

  it('resolves at the first tick below threshold without keep_firing_for, with one resolved event and notice', () => {
    const a = alert(makeRule());
    a.step(0, 3);
    for (let t = 15; t < 120; t += 15) expect(a.step(t * S, 4).changed).toBe(false);
    const d = a.step(120 * S, 2);
    expect(d.transitions).toEqual([{ from: 'firing', to: 'resolved' }]);
    expect(a.state).toMatchObject({ status: 'resolved', resolved_at: new Date(T0 + 120 * S).toISOString() });
    expect(a.notices.map((n) => [n.kind, n.publish])).toEqual([['firing', 'ops.alert.raised'], ['resolved', 'ops.alert.resolved']]);
    expect(a.step(135 * S, 0).changed).toBe(false);
  });

  it('keeps firing for keep_firing_for_seconds below threshold, and a return above threshold restarts that count', () => {
    const a = alert(makeRule({ keep_firing_for_seconds: 60 }));
    a.step(0, 3);
    expect(a.step(15 * S, 0).changed).toBe(true);
    expect(a.state).toMatchObject({ status: 'firing', below_since: new Date(T0 + 15 * S).toISOString() });
    expect(a.step(60 * S, 0).changed).toBe(false);
    a.step(70 * S, 3);
    expect(a.state).toMatchObject({ status: 'firing', below_since: null });
    a.step(80 * S, 0);
    expect(a.step(139 * S, 0).changed).toBe(false);
    expect(a.step(140 * S, 0).transitions).toEqual([{ from: 'firing', to: 'resolved' }]);
    expect(a.notices.map((n) => n.kind)).toEqual(['firing', 'resolved']);
  });

  it('starts a new episode (new id, new raised event) when a resolved alert goes over threshold again', () => {
    const a = alert(makeRule());
    a.step(0, 3);
    const first = a.state!.episode_id;
    a.step(15 * S, 0);
    a.step(30 * S, 5);
    expect(a.state?.episode_id).not.toBe(first);
    expect(a.notices.map((n) => n.kind)).toEqual(['firing', 'resolved', 'firing']);
  });

  it('resolves at once when the rule is gone (null), whatever keep_firing_for said', () => {
    const a = alert(makeRule({ keep_firing_for_seconds: 3600 }));
    a.step(0, 3);
    expect(a.step(15 * S, 10, {}, null).transitions).toEqual([{ from: 'firing', to: 'resolved' }]);
    expect(a.notices.map((n) => n.kind)).toEqual(['firing', 'resolved']);
  });

  it('removes a resolved alert once its retention has passed, and drops a pending one when the rule is gone', () => {
    const a = alert(makeRule());
    a.step(0, 3);
    a.step(15 * S, 0);
    expect(a.step(15 * S + 3599 * S, 0).changed).toBe(false);
    const d = a.step(15 * S + 3600 * S, 0);
    expect(d).toMatchObject({ changed: true, next: null });
    const p = alert(makeRule({ for_seconds: 600 }));
    p.step(0, 3);
    expect(p.step(15 * S, 3, {}, null)).toMatchObject({ changed: true, next: null, transitions: [{ from: 'pending', to: 'inactive' }] });
  });
});

describe('decideAlert: notices', () => {
  it('does not notify again on every tick; repeats once per repeat interval while firing', () => {
    const a = alert(makeRule(), { repeatMs: 3600 * S });
    a.step(0, 3);
    for (let t = 15; t < 3600; t += 15) expect(a.step(t * S, 3).changed).toBe(false);
    a.step(3600 * S, 3);
    a.step(3615 * S, 3);
    a.step(7200 * S, 3);
    expect(a.notices.map((n) => [n.kind, n.at / S, n.publish])).toEqual([
      ['firing', 0, 'ops.alert.raised'],
      ['repeat-1', 3600, null],
      ['repeat-2', 7200, null],
    ]);
    expect(a.state?.notifications).toBe(3);
  });

  it('takes the rule’s own repeat interval over the default', () => {
    const rule = makeRule({ repeat_interval_seconds: 600 });
    const a = alert(rule);
    a.step(0, 3, { repeatMs: 600 * S });
    expect(a.step(600 * S, 3, { repeatMs: 600 * S }).changed).toBe(true);
    expect(a.notices.map((n) => n.kind)).toEqual(['firing', 'repeat-1']);
  });

  it('records a silenced firing (event published, silence kept) without notifying, and notifies once the silence ends', () => {
    const a = alert(makeRule());
    a.step(0, 3, { silence: 's1' });
    expect(a.state).toMatchObject({ status: 'firing', silenced_by: 's1', last_notified_at: null, notifications: 0 });
    expect(a.notices).toEqual([{ kind: 'firing', notify: false, publish: 'ops.alert.raised', at: 0 }]);
    expect(a.step(15 * S, 3, { silence: 's1' }).changed).toBe(false);
    a.step(30 * S, 3);
    expect(a.notices.slice(1)).toEqual([{ kind: 'firing', notify: true, publish: null, at: 30 * S }]);
    expect(a.state).toMatchObject({ silenced_by: null, notifications: 1 });
  });

  it('sends a resolved notice only when the firing was notified', () => {
    const silenced = alert(makeRule());
    silenced.step(0, 3, { silence: 's1' });
    silenced.step(15 * S, 0, { silence: 's1' });
    expect(silenced.notices.map((n) => [n.kind, n.notify])).toEqual([['firing', false], ['resolved', false]]);
    const told = alert(makeRule());
    told.step(0, 3);
    told.step(15 * S, 0, { silence: 's1' });
    expect(told.notices.map((n) => [n.kind, n.notify])).toEqual([['firing', true], ['resolved', true]]);
  });

  it('holds repeats back while silenced', () => {
    const a = alert(makeRule(), { repeatMs: 600 * S });
    a.step(0, 3);
    expect(a.step(600 * S, 3, { silence: 's1' }).changed).toBe(false);
    a.step(615 * S, 3);
    expect(a.notices.map((n) => [n.kind, n.at / S])).toEqual([['firing', 0], ['repeat-1', 615]]);
  });

  it('gives every notice a stable id and a summary for people', () => {
    const a = alert(makeRule());
    const d = a.step(0, 4);
    const n = d.next!.outbox[0]!.notification;
    expect(n).toMatchObject({ status: 'firing', notification_id: `${n.episode_id}:firing`, rule: { id: 'r1', name: 'api-errors', severity: 'error', tenant: null }, count: 4, threshold: 3, window_seconds: 60, ended_at: null, event_id: null });
    expect(n.summary).toBe('api-errors: 4 matching events in 60 s (threshold 3)');
    expect(summaryOf({ ...n, status: 'resolved', group: { source: 'billing' }, count: 1 })).toBe('api-errors {source=billing} resolved: 1 matching event in 60 s (threshold 3)');
  });

  it('never changes the state it is given (pure)', () => {
    const a = alert(makeRule());
    a.step(0, 3);
    a.step(15 * S, 0);
    const resolved = { ...a.state!, outbox: [a.step(15 * S, 0).next!.outbox[0] ?? ({} as never)].filter((x) => x.notification) };
    const frozen = structuredClone(resolved);
    decideAlert(makeRule(), resolved, { alertId: 'r1~all', ruleId: 'r1', groupKey: '{}', labels: {}, count: 9 }, { now: T0 + 30 * S, silence: null, repeatMs: 1, retentionMs: 1, owner: 'a' });
    expect(resolved).toEqual(frozen);
  });
});
