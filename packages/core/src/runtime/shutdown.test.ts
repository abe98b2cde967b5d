import { describe, expect, it } from 'vitest';
import { createManualClock } from '../clock.js';
import { memoryLogger } from '../testing/logger.js';
import { createModuleHost } from './host.js';
import type { Module } from './module.js';
import { createShutdown } from './shutdown.js';

const module = (name: string, log: string[], close: () => Promise<void> | void = () => undefined): Module => ({
  name,
  routes: [],
  loops: [],
  eventTypes: [],
  drain: () => void log.push(`drain ${name}`),
  close: async () => {
    await close();
    log.push(`close ${name}`);
  },
});

describe('createShutdown', () => {
  it('drains, closes the server, then the modules, then the resources, and exits 0', async () => {
    const log: string[] = [];
    const clock = createManualClock(0);
    const { logger } = memoryLogger();
    const host = createModuleHost({ modules: [module('a', log), module('b', log)], logger, clock });
    await host.start();
    const codes: number[] = [];
    const shutdown = createShutdown({
      host,
      server: { name: 'http server', close: () => void log.push(`server closed while draining=${host.draining()}`) },
      resources: [{ name: 'stores', close: () => void log.push('stores closed') }],
      logger,
      clock,
      exit: (code) => void codes.push(code),
    });
    await shutdown.run('SIGTERM received');
    expect(log).toEqual(['drain b', 'drain a', 'server closed while draining=true', 'close b', 'close a', 'stores closed']);
    expect(codes).toEqual([0]);
  });

  it('waits the drain delay with readiness failing before closing the server', async () => {
    const clock = createManualClock(0);
    const { logger } = memoryLogger();
    const host = createModuleHost({ modules: [], logger, clock });
    let closedAt: number | undefined;
    const shutdown = createShutdown({ host, server: { name: 'http', close: () => void (closedAt = clock.now()) }, drainDelayMs: 3000, logger, clock, exit: () => undefined });
    const done = shutdown.run('SIGTERM received');
    await clock.advanceAsync(2999);
    expect(closedAt).toBeUndefined();
    expect((await host.readiness()).status).toBe('fail');
    await clock.advanceAsync(1);
    await done;
    expect(closedAt).toBe(3000);
  });

  it('exits 1 at the deadline naming what was still open', async () => {
    const clock = createManualClock(0);
    const { logger, lines } = memoryLogger();
    const host = createModuleHost({ modules: [module('stuck', [], () => new Promise(() => undefined))], logger, clock });
    await host.start();
    const codes: number[] = [];
    const shutdown = createShutdown({ host, resources: [{ name: 'stores', close: () => undefined }], deadlineMs: 5000, logger, clock, exit: (c) => void codes.push(c) });
    void shutdown.run('SIGTERM received');
    await clock.advanceAsync(4999);
    expect(codes).toEqual([]);
    await clock.advanceAsync(1);
    expect(codes).toEqual([1]);
    const last = lines.find((l) => l.level === 'error')!;
    expect(last.msg).toMatch(/did not finish within 5000 ms/);
    expect(last.fields.still_open).toEqual(expect.arrayContaining(['module stuck', 'stores']));
  });

  it('exits at once on a second signal', async () => {
    const clock = createManualClock(0);
    const { logger, lines } = memoryLogger();
    const host = createModuleHost({ modules: [module('slow', [], () => new Promise(() => undefined))], logger, clock });
    await host.start();
    const codes: number[] = [];
    const shutdown = createShutdown({ host, logger, clock, exit: (c) => void codes.push(c) });
    shutdown.onSignal('SIGTERM');
    await clock.advanceAsync(10);
    expect(codes).toEqual([]);
    shutdown.onSignal('SIGINT');
    expect(codes).toEqual([1]);
    expect(lines.at(-1)!.msg).toMatch(/SIGINT received again during shutdown; exiting now with module slow still open/);
  });
});
