import type { Clock, HealHistoryStore, HealRecord, Logger, RuntimeAdapter } from '@aetherlink/core';
import type { Registry } from '@aetherlink/registry';
import type { CheckRunner } from '../checks/runner.js';
import type { HealCollections } from '../state.js';
import type { HealerHooks, HealPolicy, Observation, ResolvedTarget } from '../types.js';

/** What the acting parts of the healer share. Never exported from the package. */
export interface EngineContext {
  policy: HealPolicy;
  clock: Clock;
  random: () => number;
  log: Logger;
  runtime: RuntimeAdapter | null;
  history: HealHistoryStore;
  cols: HealCollections;
  runner: CheckRunner;
  hooks: HealerHooks;
  configured: ResolvedTarget[];
  registry: Pick<Registry, 'list'> | undefined;
  /** The targets of the last round (configured and registered). */
  targets: ResolvedTarget[];
  /** Registered targets as last read, kept when the registry cannot be read. */
  registered: ResolvedTarget[];
  /** Heals running in this process, by service. */
  local: Map<string, Promise<void>>;
  /** The last observation of each service in this process (latencies live only here). */
  observations: Map<string, Observation>;
  /** Aborts everything this healer runs when it closes. */
  closing: AbortSignal;
  emit(type: string, data: Record<string, unknown>): Promise<void>;
  /** Appends to history; reports it to hooks. Never throws. */
  record(record: HealRecord): Promise<void>;
}
