import { afterEach, describe, expect, it } from 'vitest';
import { harness, type Harness } from './_testing/harness.js';
import { servicesCollection } from './state.js';

let h: Harness;
afterEach(() => h?.close());

const decision = async (name = 'api') => (await h.healer.service(name))!.decision;

describe('thresholds', () => {
  it('restarts only after failureThreshold consecutive liveness failures, and verifies the heal', async () => {
    h = harness({ policy: { failureThreshold: 3 } });
    await h.round();
    h.set('api', false);
    await h.round();
    expect(await decision()).toMatchObject({ reason: 'threshold_not_reached', message: expect.stringContaining('1 of the 3') });
    await h.round();
    expect(h.runtime.restarts()).toEqual([]);
    expect((await h.healer.service('api'))!.state).toBe('failing');
    await h.round();
    expect(h.runtime.restarts()).toEqual(['api']);
    await h.healer.idle();
    expect(h.types()).toEqual(['autoheal.attempted', 'autoheal.succeeded']);
    const [record] = (await h.healer.history({ limit: 10 })).history;
    expect(record).toMatchObject({ service: 'api', outcome: 'succeeded', reason: 'threshold_reached', attempt: 1, delay_ms: 0, error: null, probe: { check: 'probe', error: 'HTTP 500' } });
    expect(await decision()).toMatchObject({ reason: 'healed' });
  });

  it('a pass resets the failure count: failures must be consecutive', async () => {
    h = harness({ policy: { failureThreshold: 3 } });
    for (const v of [false, false, true, false, false, true, false, false]) {
      h.set('api', v);
      await h.round();
    }
    expect(h.runtime.restarts()).toEqual([]);
  });

  it('needs successThreshold consecutive passes before a failing service counts as healthy again', async () => {
    h = harness({ policy: { failureThreshold: 5, successThreshold: 2 } });
    h.set('api', false);
    await h.round();
    await h.round();
    h.set('api', true);
    await h.round();
    expect(await h.healer.service('api')).toMatchObject({ state: 'recovering', decision: { reason: 'recovering' } });
    await h.round();
    expect(await h.healer.service('api')).toMatchObject({ state: 'healthy', decision: { reason: 'healthy' } });
  });

  it('a steady service costs no writes: its stored state stays as it is round after round', async () => {
    h = harness({ services: ['api', 'db'] });
    for (let i = 0; i < 3; i++) await h.round();
    const version = await h.documents.version(servicesCollection);
    for (let i = 0; i < 30; i++) await h.round();
    expect(await h.documents.version(servicesCollection)).toBe(version);
    h.set('db', false);
    await h.round();
    expect(await h.documents.version(servicesCollection)).toBe(version + 1);
  });
});
