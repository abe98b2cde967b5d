import { createEventBus, createManualClock, type EventBus, type ManualClock } from '@aetherlink/core';
import { openPostgresStores, type PostgresStores } from '@aetherlink/adapters/postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../../../test/postgres.js';
import { evaluatorUnderTest, type EvaluatorUnderTest } from './_testing/harness.js';
import { createRuleBook } from './rules.js';

// Two instances on one PostgreSQL schema, each with its own pool and bus, as two reference servers would be, on
// one manual clock. The alert state is one DocumentStore document per alert, written with compare-and-set: whoever
// loses a race decides again on what the winner wrote, so an episode is notified once, not once per instance.

const S = 1000;
let schema: string;
let opened: PostgresStores[];
let clock: ManualClock;
let busA: EventBus;
let a: EvaluatorUnderTest;
let b: EvaluatorUnderTest;

beforeEach(async () => {
  schema = uniqueSchema('alerts');
  const open = (instanceId: string) => openPostgresStores({ connectionString: testDatabaseUrl(), schema, instanceId, poolSize: 6 });
  const storesA = await open('a');
  const storesB = await open('b');
  opened = [storesA, storesB];
  clock = createManualClock();
  busA = createEventBus({ clock, store: storesA.events, source: 'cc' });
  const busB = createEventBus({ clock, store: storesB.events, source: 'cc' });
  a = evaluatorUnderTest({ documents: storesA.documents, bus: busA, clock, owner: 'a' });
  b = evaluatorUnderTest({ documents: storesB.documents, bus: busB, clock, owner: 'b' });
  await createRuleBook({ documents: storesA.documents }).create({ name: 'api-errors', event_type: 'api.error', window_seconds: 60, threshold: 3, group_by: ['source'] });
});

afterEach(async () => {
  a.evaluator.close();
  b.evaluator.close();
  await Promise.all(opened.map((s) => s.close()));
  await dropSchema(schema);
});

const publish = async (n: number, source = 'billing') => {
  for (let i = 0; i < n; i++) await busA.publish({ type: 'api.error', source, data: { i } });
};
const notices = () => [...a.notifier.notices, ...b.notifier.notices].map((n) => `${n.group.source}:${n.status}`).sort();
const alertEvents = async () => (await busA.query({ type: 'ops.alert.*', limit: 100 })).events.map((e) => `${(e.data as { group: { source: string } }).group.source}:${e.type}`).sort();

describe('alerts on PostgreSQL, two instances', () => {
  it('evaluating at the same instant: one notification and one event per episode, not one per instance', async () => {
    await publish(3, 'billing');
    await publish(4, 'search');
    for (let round = 0; round < 4; round++) {
      // A evaluates in its leadership term; B answers a manual evaluation from the store at the same moment.
      await Promise.all([a.tick(), b.evaluator.evaluate()]);
      await publish(1, 'billing');
      clock.advance(10 * S);
    }
    expect(notices()).toEqual(['billing:firing', 'search:firing']);
    clock.advance(61 * S);
    const reports = await Promise.all([a.tick(), b.evaluator.evaluate(), a.tick(), b.evaluator.evaluate()]);
    expect(notices()).toEqual(['billing:firing', 'billing:resolved', 'search:firing', 'search:resolved']);
    expect(await alertEvents()).toEqual(['billing:ops.alert.raised', 'billing:ops.alert.resolved', 'search:ops.alert.raised', 'search:ops.alert.resolved']);
    expect(reports.every((r) => r.alerts.firing === 0)).toBe(true);
  });

  it('after a leader change the new leader rebuilds its windows from the store and notifies nothing twice', async () => {
    await publish(3);
    expect((await a.tick()).alerts.firing).toBe(1);
    // A loses leadership (or dies); B is elected and starts its term from the store.
    a.term.abort();
    a.evaluator.close();
    clock.advance(15 * S);
    const first = await b.tick();
    expect(first).toMatchObject({ rebuilt: { rules: 1, events: 3 }, alerts: { firing: 1 }, transitions: [], notifications: { sent: 0 } });
    for (let i = 0; i < 3; i++) {
      clock.advance(15 * S);
      await b.tick();
    }
    expect(notices()).toEqual(['billing:firing']);
    clock.advance(15 * S);
    expect((await b.tick()).transitions.map((t) => t.to)).toEqual(['resolved']);
    expect(a.notifier.notices.map((n) => n.status)).toEqual(['firing']);
    expect(b.notifier.notices.map((n) => n.status)).toEqual(['resolved']);
    expect(await alertEvents()).toEqual(['billing:ops.alert.raised', 'billing:ops.alert.resolved']);
  });
});
