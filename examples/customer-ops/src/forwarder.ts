import { loggerFor, systemClock, type Clock, type Logger } from '@aetherlink/core';
import type { CommandCenterClient } from './command-center.js';
import type { OutboxTable } from './store/outbox.js';

export type ForwardResult = 'sent' | 'duplicate' | 'retried' | 'dead' | 'dropped';

export interface ForwarderOptions {
  outbox: OutboxTable;
  client: CommandCenterClient;
  clock?: Clock;
  logger?: Logger;
  /** Events the outbox may hold before events from the local bus are dropped (a change's own event never is). Default 10 000. */
  maxPending?: number;
  /** The longest wait between two attempts (they double from 1 s up to this). Default 60 000 ms. */
  maxRetryDelayMs?: number;
  /** Called once per event handled, for metrics. */
  onResult?: (result: ForwardResult) => void;
}

export interface Forwarder {
  /** Sends what is due, oldest first, until the outbox is empty or the command center fails; passes never overlap. */
  run(signal?: AbortSignal): Promise<void>;
  /** Runs a pass soon (after a new event), without waiting for it. */
  kick(): void;
  /** Adds an event that has no transaction of its own (from the local bus); dropped when the outbox is full. */
  append(event: { type: string } & Record<string, unknown>): void;
}

/**
 * When to try an event again: doubling from 1 s up to `maxMs` (60 s), or later when the command center asked (at
 * most 5 min).
 * @example retryDelayMs(0) // 1000; retryDelayMs(3, 120_000) // 120000
 */
export function retryDelayMs(attempts: number, retryAfterMs?: number, maxMs = 60_000): number {
  const backoff = Math.min(maxMs, 1000 * 2 ** Math.min(attempts, 10));
  return Math.min(300_000, Math.max(backoff, retryAfterMs ?? 0));
}

/**
 * Delivers the outbox to the command center, in order and at least once (the command center drops a repeated
 * event id): an event leaves the outbox only once the command center stored it.
 * @example const forwarder = createForwarder({ outbox: store.outbox, client }); loops.push({ name: 'crm-outbox', intervalMs: 1000, runOn: 'every', run: forwarder.run })
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { outbox, client } = options;
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'forwarder');
  const maxPending = options.maxPending ?? 10_000;
  const report = options.onResult ?? (() => undefined);
  let running: Promise<void> | undefined;
  let again = false;
  let failing = false;
  let dropping = false;

  const pass = async (signal?: AbortSignal): Promise<void> => {
    for (;;) {
      const head = outbox.head(100);
      if (head.length === 0) return;
      for (const entry of head) {
        if (signal?.aborted || entry.next_attempt_at > clock.now()) return;
        const outcome = await client.publish(entry.event, signal);
        if (outcome.ok) {
          outbox.sent(entry.seq);
          report(outcome.duplicate ? 'duplicate' : 'sent');
          if (failing) log.info({ pending: outbox.pending() }, 'the command center takes events again');
          failing = false;
        } else if (outcome.permanent) {
          outbox.dead(entry.seq, outcome.error, new Date(clock.now()).toISOString());
          report('dead');
          log.error({ type: entry.type, id: entry.event.id, error: outcome.error }, 'the command center refused an event for good; it is kept in the outbox table, not sent again');
        } else {
          // Order matters (a lead before its later changes): the head waits, and so does everything behind it.
          outbox.retryAt(entry.seq, clock.now() + retryDelayMs(entry.attempts, outcome.retryAfterMs, options.maxRetryDelayMs), outcome.error);
          report('retried');
          if (!failing) log.warn({ error: outcome.error, pending: outbox.pending() }, 'events cannot reach the command center; they wait in the outbox');
          failing = true;
          return;
        }
      }
    }
  };

  const run = (signal?: AbortSignal): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await pass(signal);
      } while (again && !signal?.aborted);
    })()
      .catch((error: unknown) => log.error({ err: error }, 'the outbox pass failed; the next one tries again'))
      .finally(() => (running = undefined));
    return running;
  };

  return {
    run,
    kick: () => void run(),
    append(event) {
      if (outbox.pending() >= maxPending) {
        report('dropped');
        if (!dropping) log.warn({ type: event.type, max_pending: maxPending }, 'the outbox is full; events from the local bus are dropped until it drains');
        dropping = true;
        return;
      }
      dropping = false;
      outbox.append(event);
      run();
    },
  };
}
