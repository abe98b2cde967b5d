import { systemClock, type Clock } from '../clock.js';
import { errorFields, loggerFor, type Logger } from '../logger.js';
import { soleLeader, type Campaign, type LeaderElection } from './leader.js';

export interface LoopOptions {
  /** Names the loop in logs and, with several instances, the leadership role it needs. */
  name: string;
  intervalMs: number;
  /** One pass. A pass never overlaps the previous one. */
  run: (signal: AbortSignal) => Promise<unknown> | unknown;
  clock?: Clock;
  /** Run only on the instance that leads `name`. Default: this instance alone. */
  leader?: LeaderElection;
  /** Where a failed pass is reported (the loop goes on). Default: `logger`. */
  onError?: (error: unknown) => void;
  logger?: Logger;
}

export interface Loop {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
  /** True while this instance runs the loop (it leads the role). */
  active(): boolean;
  /** Epoch ms of the last finished pass, or null. */
  lastRun(): number | null;
  /** The message of the last pass's error, or null when it succeeded (or none ran). */
  lastError(): string | null;
  /** Runs one pass now (still never overlapping). */
  runNow(): Promise<void>;
}

/**
 * A background loop on an injected clock, run only where this instance holds leadership of its name.
 * @example const loop = createLoop({ name: 'lease-expiry', intervalMs: 5000, run: () => store.releaseExpired(Date.now()) }); loop.start();
 */
export function createLoop(options: LoopOptions): Loop {
  const clock = options.clock ?? systemClock;
  const leader = options.leader ?? soleLeader();
  const onError =
    options.onError ??
    ((error: unknown) => loggerFor(options.logger, 'loop').error({ loop: options.name, err: errorFields(error) }, `background loop ${options.name} failed; it runs again in ${options.intervalMs} ms`));
  let campaign: Campaign | undefined;
  let term: AbortSignal | undefined;
  let timer: unknown;
  let running: Promise<void> | undefined;
  let last: number | null = null;
  let lastError: string | null = null;

  const pass = async (signal: AbortSignal) => {
    while (running) await running;
    if (signal.aborted) return;
    running = (async () => {
      try {
        await options.run(signal);
        lastError = null;
      } catch (error) {
        if (!signal.aborted) {
          lastError = error instanceof Error ? error.message : String(error);
          onError(error);
        }
      } finally {
        last = clock.now();
      }
    })();
    await running;
    running = undefined;
  };

  const tick = (signal: AbortSignal) => {
    timer = clock.setTimeout(() => {
      void pass(signal).then(() => {
        if (!signal.aborted) tick(signal);
      });
    }, options.intervalMs);
  };

  return {
    name: options.name,
    start() {
      if (campaign) return;
      campaign = leader.campaign(options.name, (signal) => {
        term = signal;
        signal.addEventListener('abort', () => clock.clearTimeout(timer), { once: true });
        void pass(signal).then(() => {
          if (!signal.aborted) tick(signal);
        });
      });
    },
    async stop() {
      clock.clearTimeout(timer);
      await campaign?.stop();
      campaign = undefined;
      while (running) await running;
    },
    active: () => !!campaign?.isLeader() && !!term && !term.aborted,
    lastRun: () => last,
    lastError: () => lastError,
    runNow: () => pass(term && !term.aborted ? term : new AbortController().signal),
  };
}
