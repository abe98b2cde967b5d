import { createEventBus, createManualClock, memoryDocumentStore, memoryEventStore, silentLogger, type DocumentStore, type EventBus, type ManualClock } from '@aetherlink/core';
import { createAlertEvaluator, type AlertEvaluator, type AlertEvaluatorOptions } from '../evaluator.js';
import type { AlertNotification, Notifier } from '../notification.js';
import { createRuleBook, type RuleBook } from '../rules.js';
import { createSilenceBook, type SilenceBook } from '../silence-book.js';

/** A notifier that keeps what it was given; `fail` makes the next calls throw. */
export interface RecordingNotifier extends Notifier {
  readonly notices: AlertNotification[];
  fail: number;
}

/**
 * A notifier for tests: records every notification, and throws while `fail` is above zero.
 * @example const notifier = recordingNotifier(); …; expect(notifier.notices).toHaveLength(1)
 */
export function recordingNotifier(): RecordingNotifier {
  const self: RecordingNotifier = {
    notices: [],
    fail: 0,
    async notify(n) {
      if (self.fail > 0) {
        self.fail--;
        throw new Error('sink down');
      }
      self.notices.push(structuredClone(n));
      return { enqueued: 1 };
    },
  };
  return self;
}

/** One evaluator over a bus and a DocumentStore, with a leadership term it can lose. */
export interface EvaluatorUnderTest {
  evaluator: AlertEvaluator;
  notifier: RecordingNotifier;
  term: AbortController;
  /** One leader-loop tick in the current term. */
  tick(): ReturnType<AlertEvaluator['evaluate']>;
  /** Ends the term (leadership lost) and starts a new one. */
  newTerm(): void;
}

/**
 * An evaluator as the leader loop drives it.
 * @example const a = evaluatorUnderTest({ documents, bus, clock, owner: 'a' })
 */
export function evaluatorUnderTest(options: Omit<AlertEvaluatorOptions, 'notifier'> & { notifier?: RecordingNotifier }): EvaluatorUnderTest {
  const notifier = options.notifier ?? recordingNotifier();
  const evaluator = createAlertEvaluator({ logger: silentLogger, ...options, notifier });
  const self: EvaluatorUnderTest = {
    evaluator,
    notifier,
    term: new AbortController(),
    tick: () => evaluator.evaluate({ term: self.term.signal, signal: self.term.signal }),
    newTerm() {
      self.term.abort();
      self.term = new AbortController();
    },
  };
  return self;
}

/** Shared services of one test: a manual clock, a bus over a memory event store, a memory DocumentStore. */
export interface AlertWorld {
  clock: ManualClock;
  bus: EventBus;
  documents: DocumentStore;
  rules: RuleBook;
  silences: SilenceBook;
  /** Publishes `n` events of `type` (default `api.error`) from `source` (default `billing`). */
  publish(n: number, event?: { type?: string; source?: string; tenantid?: string; data?: unknown }): Promise<void>;
}

/**
 * A fresh world on memory stores and a manual clock.
 * @example const w = alertWorld(); await w.rules.create({ … }); await w.publish(3)
 */
export function alertWorld(): AlertWorld {
  const clock = createManualClock();
  const documents = memoryDocumentStore({ clock });
  const bus = createEventBus({ clock, store: memoryEventStore(), source: 'cc' });
  return {
    clock,
    bus,
    documents,
    rules: createRuleBook({ documents }),
    silences: createSilenceBook({ documents, clock }),
    async publish(n, event = {}) {
      for (let i = 0; i < n; i++) {
        await bus.publish({ type: event.type ?? 'api.error', source: event.source ?? 'billing', data: event.data ?? {}, ...(event.tenantid ? { tenantid: event.tenantid } : {}) });
      }
    },
  };
}
