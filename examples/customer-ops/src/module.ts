import { Counter, Gauge, systemClock, toPublicEvent, type Clock, type EventBus, type Logger, type Module } from '@aetherlink/core';
import type { Router } from '@aetherlink/ai-router';
import { assistRoutes } from './assist-routes.js';
import type { CommandCenterClient } from './command-center.js';
import { CRM_EVENT_TYPES, leadCreatedEvent } from './events.js';
import { createForwarder, type Forwarder, type ForwardResult } from './forwarder.js';
import { crmRoutes } from './routes.js';
import type { CrmStore } from './store/store.js';

export interface CrmModuleOptions {
  store: CrmStore;
  /** `source` of the CRM's events (the service name). */
  source: string;
  /** The AI router for the assistant routes; without one they are not mounted. */
  router?: Router;
  /** Where events go; without one the CRM keeps no outbox and publishes nothing. */
  commandCenter?: CommandCenterClient;
  /** The app's local bus: its events (security.rbac.violation, ai.*) are forwarded to the command center too. */
  bus?: EventBus;
  /** How often the outbox loop looks for events that are due. Default 1000 ms. */
  forwardIntervalMs?: number;
  /** The longest wait between two attempts to send an event. Default 60 000 ms. */
  maxRetryDelayMs?: number;
  /** A last attempt to send what is in the outbox at shutdown takes at most this long. Default 2000 ms. */
  flushOnCloseMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Outbox events above this many make readiness `warn`: the command center has not taken events for a while. */
const BACKLOG_WARN = 1000;

/**
 * The CRM as a module: leads and activities routes, the AI assistant routes, `lead.created` committed with each
 * lead and forwarded to the command center from an outbox (a loop on every instance), its metrics and readiness.
 * @example const crm = crmModule({ store, source: 'customer-ops', router, commandCenter, bus }); createModuleHost({ modules: [crm] })
 */
export function crmModule(options: CrmModuleOptions): Module & { forwarder: Forwarder | undefined } {
  const { store, commandCenter } = options;
  const clock = options.clock ?? systemClock;
  let forwarded: Counter | undefined;
  const forwarder = commandCenter
    ? createForwarder({
        outbox: store.outbox,
        client: commandCenter,
        clock,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.maxRetryDelayMs ? { maxRetryDelayMs: options.maxRetryDelayMs } : {}),
        onResult: (result: ForwardResult) => forwarded?.inc({ result }),
      })
    : undefined;
  const events = forwarder
    ? { leadCreated: (lead: Parameters<typeof leadCreatedEvent>[0]) => leadCreatedEvent(lead, options.source, clock.now()), afterCreate: () => forwarder.kick() }
    : {};
  let unsubscribe: (() => void) | undefined;

  return {
    name: 'crm',
    forwarder,
    routes: [...crmRoutes({ store, ...events }), ...(options.router ? assistRoutes({ store, router: options.router, ...events }) : [])],
    loops: forwarder ? [{ name: 'crm-outbox', intervalMs: options.forwardIntervalMs ?? 1000, runOn: 'every', run: (signal) => forwarder.run(signal) }] : [],
    eventTypes: CRM_EVENT_TYPES,
    metrics(registry) {
      new Gauge({ name: 'crm_leads', help: 'Leads in the CRM', registers: [registry], collect() { this.set(store.countLeads()); } });
      new Gauge({ name: 'crm_outbox_pending', help: 'Events waiting to reach the command center', registers: [registry], collect() { this.set(store.outbox.pending()); } });
      forwarded = new Counter({ name: 'crm_outbox_events_total', help: 'Outbox events handled, by result (sent, duplicate, retried, dead, dropped)', labelNames: ['result'], registers: [registry] });
    },
    readiness: [
      {
        name: 'crm-database:ping',
        componentType: 'datastore',
        check: () => {
          store.ping();
          return { status: 'pass' };
        },
      },
      {
        name: 'crm-outbox:pending',
        componentType: 'component',
        check: () => {
          const pending = store.outbox.pending();
          return pending > BACKLOG_WARN
            ? { status: 'warn', observedValue: pending, output: 'the command center has not taken events for a while' }
            : { status: 'pass', observedValue: pending };
        },
      },
    ],
    start() {
      // The bus's own events join the outbox: the command center sees the CRM's RBAC violations and AI use.
      if (forwarder && options.bus) {
        unsubscribe = options.bus.subscribe({}, (event) => {
          const { received_at: _received, ...cloudEvent } = toPublicEvent(event);
          forwarder.append(cloudEvent);
        });
      }
    },
    async close() {
      unsubscribe?.();
      if (!forwarder) return;
      // A last chance for what was written during shutdown, bounded; what is left is sent at the next start.
      const limit = AbortSignal.timeout(options.flushOnCloseMs ?? 2000);
      await Promise.race([forwarder.run(limit), new Promise((resolve) => limit.addEventListener('abort', resolve, { once: true }))]);
    },
  };
}
