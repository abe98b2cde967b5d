import { AetherError, uuidv7, validationError } from '@aetherlink/core';
import { casUpdate } from './_internal/cas.js';
import type { EngineContext } from './_internal/context.js';
import { iso } from './rules.js';
import { SETTINGS_ID, type OperatorWindow, type ServiceState, type SettingsDoc } from './state.js';
import { quarantineByOperator, releaseByOperator } from './transitions.js';

/** A maintenance window or silence as operators give it. */
export interface WindowInput {
  /** A service name, or `*` for every service. */
  service: string;
  kind?: OperatorWindow['kind'];
  /** ISO; default now. */
  starts_at?: string;
  /** ISO; default: until cleared (or `duration_seconds`). */
  ends_at?: string;
  duration_seconds?: number;
  reason: string;
}

/** An operator window with its id and whether it is in force now. */
export type WindowView = OperatorWindow & { id: string; in_force: boolean };

/** What operators do to the engine: windows, quarantine, dry run. */
export interface OperatorActions {
  windows(): Promise<WindowView[]>;
  /** `by` is who asked (the principal's id, or what the caller says). */
  setWindow(input: WindowInput, by: string): Promise<WindowView>;
  /** False when there is no such window. */
  clearWindow(id: string): Promise<boolean>;
  /** Throws `not_found` for a service auto-heal has never seen. Idempotent. */
  quarantine(service: string, by: string, reason?: string): Promise<ServiceState>;
  /** Throws `not_found` for an unknown service, `conflict` when it is not quarantined. */
  release(service: string, by: string): Promise<ServiceState>;
  setDryRun(enabled: boolean, by: string, reason?: string): Promise<SettingsDoc>;
}

const unknownService = (service: string) => new AetherError('not_found', `auto-heal watches no service named "${service}"`, { details: { name: service } });

/** The operators' acts on an engine's collections. */
export function createOperatorActions(e: EngineContext): OperatorActions {
  const view = (id: string, w: OperatorWindow): WindowView => {
    const now = e.clock.now();
    return { id, ...w, in_force: Date.parse(w.starts_at) <= now && (w.ends_at === null || now < Date.parse(w.ends_at)) };
  };
  return {
    async windows() {
      return (await e.cols.windows.list()).map((d) => view(d.id, d.data)).sort((a, b) => a.starts_at.localeCompare(b.starts_at) || a.id.localeCompare(b.id));
    },
    async setWindow(input, by) {
      const now = e.clock.now();
      const starts = input.starts_at ? Date.parse(input.starts_at) : now;
      const ends = input.ends_at ? Date.parse(input.ends_at) : input.duration_seconds ? starts + input.duration_seconds * 1000 : null;
      if (ends !== null && ends <= Math.max(now, starts)) {
        throw validationError([{ field: input.ends_at ? 'ends_at' : 'duration_seconds', message: 'the window must end in the future, after it starts', in: 'body' }], 'the window is invalid');
      }
      const window: OperatorWindow = {
        service: input.service,
        kind: input.kind ?? 'maintenance',
        starts_at: iso(starts),
        ends_at: ends === null ? null : iso(ends),
        by,
        reason: input.reason,
        created_at: iso(now),
      };
      const doc = await e.cols.windows.create({ id: uuidv7(now), data: window });
      e.log.info({ service: window.service, kind: window.kind, by, until: window.ends_at }, `${window.kind} window set for ${window.service}`);
      return view(doc.id, doc.data);
    },
    clearWindow: (id) => e.cols.windows.remove(id),
    async quarantine(service, by, reason = '') {
      let known = false;
      let changed = false;
      const written = await casUpdate(e.cols.services, service, (s) => {
        known = s !== null;
        changed = !!s && s.quarantine?.reason !== 'operator';
        return s && changed ? quarantineByOperator(s, by, reason, e.clock.now()) : null;
      });
      if (!known) throw unknownService(service);
      const state = written?.data ?? (await e.cols.services.get(service))!.data;
      if (changed) await e.emit('autoheal.quarantined', { service, reason: 'operator', by, restarts: state.restarts.length, message: reason || 'quarantined by an operator' });
      return state;
    },
    async release(service, by) {
      let known = false;
      let quarantined = false;
      const written = await casUpdate(e.cols.services, service, (s) => {
        known = s !== null;
        quarantined = !!s?.quarantine;
        return s && quarantined ? releaseByOperator(s, by, e.clock.now()) : null;
      });
      if (!known) throw unknownService(service);
      if (!quarantined || !written) throw new AetherError('conflict', `"${service}" is not quarantined`, { details: { name: service } });
      await e.emit('autoheal.released', { service, by });
      return written.data;
    },
    async setDryRun(enabled, by, reason) {
      const data: SettingsDoc = { dry_run: enabled, by, reason: reason ?? null, at: iso(e.clock.now()) };
      const doc = await casUpdate(e.cols.settings, SETTINGS_ID, () => data);
      e.log.info({ by, enabled }, `auto-heal dry run ${enabled ? 'on' : 'off'}`);
      return doc!.data;
    },
  };
}
