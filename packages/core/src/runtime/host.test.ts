import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createManualClock } from '../clock.js';
import { createSchemaRegistry } from '../events/schema-registry.js';
import { silentLogger } from '../logger.js';
import { createMetricsRegistry, Gauge } from '../metrics.js';
import { createModuleHost } from './host.js';
import type { LeaderElection } from './leader.js';
import type { Module } from './module.js';

function recordingModule(name: string, log: string[], extra: Partial<Module> = {}): Module {
  return {
    name,
    routes: [],
    loops: [],
    eventTypes: [],
    start: () => void log.push(`start ${name}`),
    drain: () => void log.push(`drain ${name}`),
    close: () => void log.push(`close ${name}`),
    ...extra,
  };
}

/** Leadership handed out and taken back by hand. */
function manualLeader() {
  const terms = new Map<string, { elect: (s: AbortSignal) => void; term?: AbortController }>();
  const election: LeaderElection = {
    kind: 'manual',
    campaign(role, onElected) {
      terms.set(role, { elect: onElected });
      return { isLeader: () => !!terms.get(role)?.term && !terms.get(role)!.term!.signal.aborted, stop: async () => terms.get(role)?.term?.abort() };
    },
  };
  return {
    election,
    win(role: string) {
      const t = terms.get(role)!;
      t.term = new AbortController();
      t.elect(t.term.signal);
    },
    lose(role: string) {
      terms.get(role)?.term?.abort();
    },
  };
}

describe('createModuleHost', () => {
  it('starts modules in order and drains and closes them in reverse', async () => {
    const log: string[] = [];
    const host = createModuleHost({ modules: [recordingModule('a', log), recordingModule('b', log)], logger: silentLogger });
    await host.start();
    await host.drain();
    await host.close();
    expect(log).toEqual(['start a', 'start b', 'drain b', 'drain a', 'close b', 'close a']);
    expect(host.pending()).toEqual([]);
  });

  it('refuses two modules with one name', () => {
    expect(() => createModuleHost({ modules: [recordingModule('a', []), recordingModule('a', [])] })).toThrow(/two modules are named "a"/);
  });

  it("registers the modules' event types and metrics", async () => {
    const schemas = createSchemaRegistry({ builtins: false });
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const module = recordingModule('m', [], {
      eventTypes: [{ type: 'thing.happened', description: 'x', schema: z.object({ n: z.number() }) }],
      metrics: (registry) => void new Gauge({ name: 'things', help: 'things', registers: [registry], collect() { this.set(3); } }),
    });
    createModuleHost({ modules: [module], schemas, metrics });
    expect(schemas.has('thing.happened')).toBe(true);
    expect(await metrics.metrics()).toContain('things 3');
  });

  it('runs every-instance loops everywhere and leader loops only while leading, aborting a pass when leadership is lost', async () => {
    const clock = createManualClock(0);
    const leader = manualLeader();
    const seen: string[] = [];
    let aborted: unknown;
    let releasePass: (() => void) | undefined;
    const module = recordingModule('m', [], {
      loops: [
        { name: 'everywhere', intervalMs: 1000, runOn: 'every', run: () => void seen.push(`every@${clock.now()}`) },
        {
          name: 'leader-only',
          intervalMs: 1000,
          run: (signal) =>
            new Promise<void>((resolve) => {
              seen.push(`leader@${clock.now()}`);
              releasePass = resolve;
              signal.addEventListener('abort', () => {
                aborted = signal.reason ?? true;
                resolve();
              });
            }),
        },
      ],
    });
    const host = createModuleHost({ modules: [module], leader: leader.election, clock, logger: silentLogger });
    await host.start();
    await clock.advanceAsync(0);
    expect(seen).toEqual(['every@0']);
    leader.win('leader-only');
    await clock.advanceAsync(0);
    expect(seen).toContain('leader@0');
    // Leadership is lost in the middle of a pass: the pass's signal aborts at once.
    leader.lose('leader-only');
    await clock.advanceAsync(0);
    expect(aborted).toBeTruthy();
    await clock.advanceAsync(3000);
    expect(seen.filter((s) => s.startsWith('leader'))).toEqual(['leader@0']);
    expect(seen.filter((s) => s.startsWith('every'))).toHaveLength(4);
    releasePass?.();
    await host.close();
  });

  it('reports readiness per check, loop and leadership, and fails while draining', async () => {
    const clock = createManualClock(0);
    let db: 'pass' | 'fail' = 'pass';
    const module = recordingModule('m', [], {
      loops: [{ name: 'probe', intervalMs: 1000, run: () => undefined }],
      readiness: [{ name: 'm:thing', check: () => ({ status: 'pass' }) }],
    });
    const host = createModuleHost({
      modules: [module],
      clock,
      logger: silentLogger,
      version: '1.2.3',
      readiness: [{ name: 'database:ping', componentType: 'datastore', check: () => ({ status: db, observedValue: 1, observedUnit: 'ms' }) }],
    });
    await host.start();
    await clock.advanceAsync(0);
    let report = await host.readiness();
    expect(report.status).toBe('pass');
    expect(report.version).toBe('1.2.3');
    expect(Object.keys(report.checks).sort()).toEqual(['database:ping', 'leadership:loops', 'loop:probe', 'm:thing']);
    expect(report.checks['database:ping']![0]).toMatchObject({ status: 'pass', componentType: 'datastore', observedUnit: 'ms' });
    expect(report.checks['leadership:loops']![0]!.observedValue).toEqual(['probe']);

    db = 'fail';
    expect((await host.readiness()).status).toBe('fail');
    db = 'pass';

    await host.drain();
    report = await host.readiness();
    expect(report.status).toBe('fail');
    expect(report.checks['shutdown:draining']![0]!.status).toBe('fail');
    await host.close();
  });

  it('fails a readiness check that does not answer in time, and one that throws, without saying why in the answer', async () => {
    const clock = createManualClock(0);
    const host = createModuleHost({
      modules: [],
      clock,
      logger: silentLogger,
      checkTimeoutMs: 500,
      readiness: [
        { name: 'hangs', check: () => new Promise(() => undefined) },
        { name: 'throws', check: () => { throw new Error('password=hunter2'); } },
      ],
    });
    const pending = host.readiness();
    await clock.advanceAsync(500);
    const report = await pending;
    expect(report.checks.hangs![0]).toMatchObject({ status: 'fail', output: 'no answer within 500 ms' });
    expect(report.checks.throws![0]!.status).toBe('fail');
    expect(JSON.stringify(report)).not.toContain('hunter2');
  });

  it('keeps closing when one module fails to close, and says what never closed', async () => {
    const log: string[] = [];
    const broken = recordingModule('broken', log, { close: () => { throw new Error('boom'); } });
    const hanging = recordingModule('hanging', log, { close: () => new Promise(() => undefined) });
    const host = createModuleHost({ modules: [hanging, broken, recordingModule('c', log)], logger: silentLogger });
    await host.start();
    void host.close();
    await new Promise((r) => setImmediate(r));
    expect(log).toContain('close c');
    expect(host.pending()).toEqual(['module hanging']);
  });
});
