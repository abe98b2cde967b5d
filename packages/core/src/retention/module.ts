import { setImmediate as yieldTurn } from 'node:timers/promises';
import { systemClock, type Clock } from '../clock.js';
import { errorFields, loggerFor, type Logger } from '../logger.js';
import { Counter, sharedMetric } from '../metrics.js';
import type { Module } from '../runtime/module.js';
import type { PurgeRequest, Stores } from '../stores/types.js';
import { DEFAULT_RETENTION_POLICY, purgeRequestFor, type RetentionKind, type RetentionPolicy } from './policy.js';

export interface RetentionModuleOptions {
  /** The stores whose history is bounded; a store without purge methods is left alone (and said so once). */
  stores: Pick<Stores, RetentionKind>;
  /** Rules per kind over `DEFAULT_RETENTION_POLICY`. */
  policy?: RetentionPolicy;
  clock?: Clock;
  logger?: Logger;
  /** How often a pass runs, ms. Default 60 000. */
  intervalMs?: number;
  /** Records removed per transaction: small, so writers never wait long for one. Default 1000. */
  batchSize?: number;
  /**
   * The share of a pass's time spent deleting (0 < share <= 1): after each batch the pass rests so that
   * publishes keep the disk (and, on SQLite, the writer thread) the rest of the time. Default 0.1.
   */
  share?: number;
  /**
   * The longest rest after one batch, ms. A batch's time includes its wait behind publishes, so under heavy load
   * the rest its share asks for grows with the load; the cap keeps a backlog shrinking whatever the load.
   * Default 1000.
   */
  maxRestMs?: number;
}

export interface RetentionModule extends Module {
  /** One pass now: every kind, batch by batch until nothing is left to remove; resolves with the counts removed. */
  runOnce(signal?: AbortSignal): Promise<Record<RetentionKind, number>>;
}

const KINDS: readonly RetentionKind[] = ['events', 'audit', 'heal', 'deliveries'];

/**
 * Bounded growth as a module: one leader-only loop removes old events, audit records, heal history and finished
 * deliveries in small batches, yielding between them so publishes never queue behind it. Dead letters stay until
 * replayed or purged on purpose.
 * @example createModuleHost({ modules: [retentionModule({ stores, logger: log.child({ component: 'retention' }) }), ...] })
 */
export function retentionModule(options: RetentionModuleOptions): RetentionModule {
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'retention');
  const batchSize = options.batchSize ?? 1000;
  const share = Math.min(1, Math.max(0.01, options.share ?? 0.1));
  const maxRestMs = Math.max(0, options.maxRestMs ?? 1000);
  const rest = (ms: number, signal: AbortSignal | undefined) =>
    new Promise<void>((resolve) => {
      // Aborted while the batch ran: a listener added now would never be called.
      if (signal?.aborted) return resolve();
      const timer = clock.setTimeout(done, ms);
      function done() {
        signal?.removeEventListener('abort', stop);
        resolve();
      }
      function stop() {
        clock.clearTimeout(timer);
        done();
      }
      signal?.addEventListener('abort', stop, { once: true });
    });
  const rules = { ...DEFAULT_RETENTION_POLICY, ...options.policy };
  let purged: Counter<'kind'> | undefined;

  const purgers: Partial<Record<RetentionKind, (request: PurgeRequest) => Promise<number>>> = {};
  const { events, audit, heal, deliveries } = options.stores;
  if (events.purge) purgers.events = (r) => events.purge!(r);
  if (audit.purge) purgers.audit = (r) => audit.purge!(r);
  if (heal.purge) purgers.heal = (r) => heal.purge!(r);
  if (deliveries.purgeFinished) purgers.deliveries = (r) => deliveries.purgeFinished!(r);
  const unbounded = KINDS.filter((k) => !purgers[k] && purgeRequestFor(rules[k], 0, 1));
  if (unbounded.length) log.warn({ kinds: unbounded }, `these stores cannot purge, so their history is kept whatever the policy: ${unbounded.join(', ')}`);

  const drain = async (kind: RetentionKind, signal: AbortSignal | undefined): Promise<number> => {
    const purge = purgers[kind];
    let total = 0;
    while (purge && !signal?.aborted) {
      const request = purgeRequestFor(rules[kind], clock.now(), batchSize);
      if (!request) break;
      const started = clock.now();
      const n = await purge(request);
      const took = clock.now() - started;
      total += n;
      purged?.inc({ kind }, n);
      if (n < batchSize) break;
      // Let publishes have the disk between two batches: rest long enough that deleting stays within its share.
      if (took > 0 && share < 1 && maxRestMs > 0) await rest(Math.min(maxRestMs, (took * (1 - share)) / share), signal);
      else await yieldTurn();
    }
    return total;
  };

  const runOnce = async (signal?: AbortSignal) => {
    const counts = { events: 0, audit: 0, heal: 0, deliveries: 0 };
    for (const kind of KINDS) {
      try {
        counts[kind] = await drain(kind, signal);
      } catch (error) {
        log.warn({ kind, err: errorFields(error) }, `retention could not remove old ${kind}; it tries again next pass`);
      }
    }
    const removed = KINDS.filter((k) => counts[k] > 0);
    if (removed.length) log.info({ ...counts }, 'retention removed old records');
    return counts;
  };

  return {
    name: 'retention',
    routes: [],
    loops: [{ name: 'retention', intervalMs: options.intervalMs ?? 60_000, runOn: 'leader', run: (signal) => runOnce(signal) }],
    eventTypes: [],
    metrics(registry) {
      purged = sharedMetric(
        registry,
        'aetherlink_retention_purged_total',
        () =>
          new Counter({
            name: 'aetherlink_retention_purged_total',
            help: 'Records retention removed, by kind (events, audit, heal, deliveries)',
            labelNames: ['kind'] as const,
            registers: [registry],
          }),
      );
    },
    runOnce,
    close: () => undefined,
  };
}
