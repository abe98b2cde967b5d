import { systemClock, sleep, type Clock } from '../clock.js';
import { errorFields, loggerFor, type Logger } from '../logger.js';
import type { ModuleHost } from './host.js';

/** Something the app closes on shutdown, by name so a late one can be reported. */
export interface Closable {
  name: string;
  close(): Promise<unknown> | unknown;
}

export interface ShutdownOptions {
  host: ModuleHost;
  /** Stops accepting connections and waits for requests in flight (e.g. `{ name: 'http server', close: () => app.close() }`). */
  server?: Closable;
  /** Closed last, in order, after the modules (stores, leader election, audit). */
  resources?: readonly Closable[];
  /** The whole shutdown must end within this. Default 10 000 ms. */
  deadlineMs?: number;
  /** Time between failing readiness and closing the server, for load balancers to notice. Default 0. */
  drainDelayMs?: number;
  logger?: Logger;
  clock?: Clock;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
}

export interface Shutdown {
  /** Runs the shutdown once (later calls return the same promise); exits 0 when it finishes in time, 1 otherwise. */
  run(reason: string): Promise<void>;
  /** A second signal during shutdown exits at once, saying what was still open. */
  onSignal(signal: string): void;
  /** What has not closed yet. */
  pending(): string[];
}

/**
 * A graceful shutdown: readiness fails, modules drain, the server finishes requests in flight, loops stop,
 * modules close, then stores — within a deadline; a second signal or the deadline exits at once.
 * @example const shutdown = createShutdown({ host, server: { name: 'http', close: () => app.close() }, resources: [stores] }); process.on('SIGTERM', shutdown.onSignal)
 */
export function createShutdown(options: ShutdownOptions): Shutdown {
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'shutdown');
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.deadlineMs ?? 10_000;
  const open = new Set<string>();
  let running: Promise<void> | undefined;
  let exited = false;

  const finish = (code: number) => {
    if (exited) return;
    exited = true;
    exit(code);
  };
  const pending = () => [...open, ...options.host.pending()];
  const giveUp = (why: string) => {
    log.error({ still_open: pending() }, `${why}; exiting now with ${pending().join(', ') || 'nothing'} still open`);
    finish(1);
  };

  const closeOne = async (part: Closable) => {
    open.add(part.name);
    try {
      await part.close();
    } catch (error) {
      log.error({ part: part.name, err: errorFields(error) }, `${part.name} did not close cleanly`);
    }
    open.delete(part.name);
  };

  const steps = async (reason: string) => {
    log.info({ reason, deadline_ms: deadlineMs }, `${reason}: shutting down (readiness now fails)`);
    await options.host.drain();
    if (options.drainDelayMs) await sleep(clock, options.drainDelayMs);
    if (options.server) await closeOne(options.server);
    await options.host.close();
    for (const resource of options.resources ?? []) await closeOne(resource);
  };

  const shutdown: Shutdown = {
    run(reason) {
      if (running) return running;
      for (const r of options.resources ?? []) open.add(r.name);
      if (options.server) open.add(options.server.name);
      const timer = clock.setTimeout(() => giveUp(`shutdown did not finish within ${deadlineMs} ms`), deadlineMs);
      running = steps(reason).then(
        () => {
          clock.clearTimeout(timer);
          log.info('shutdown complete');
          finish(0);
        },
        (error: unknown) => {
          clock.clearTimeout(timer);
          log.error({ err: errorFields(error) }, 'shutdown failed');
          finish(1);
        },
      );
      return running;
    },
    onSignal: (signal) => {
      if (running) giveUp(`${signal} received again during shutdown`);
      else void shutdown.run(`${signal} received`);
    },
    pending,
  };
  return shutdown;
}
