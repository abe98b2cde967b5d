import { systemClock, type Clock } from '../clock.js';
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
  onError?: (error: unknown) => void;
}

export interface Loop {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
  /** True while this instance runs the loop (it leads the role). */
  active(): boolean;
  /** Epoch ms of the last finished pass, or null. */
  lastRun(): number | null;
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
  const onError = options.onError ?? ((error: unknown) => process.emitWarning(`loop ${options.name} failed: ${String(error)}`, 'AetherLinkWarning'));
  let campaign: Campaign | undefined;
  let term: AbortSignal | undefined;
  let timer: unknown;
  let running: Promise<void> | undefined;
  let last: number | null = null;

  const pass = async (signal: AbortSignal) => {
    while (running) await running;
    if (signal.aborted) return;
    running = (async () => {
      try {
        await options.run(signal);
      } catch (error) {
        if (!signal.aborted) onError(error);
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
    runNow: () => pass(term && !term.aborted ? term : new AbortController().signal),
  };
}
