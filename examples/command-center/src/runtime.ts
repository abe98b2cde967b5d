import type { Logger, RuntimeAdapter } from '@aetherlink/core';
import type { Config } from './config.js';

export interface OpenedRuntime {
  runtime: RuntimeAdapter | null;
  /** Starts what the runtime runs itself (the supervised processes), once the server serves. */
  start?: () => Promise<void>;
}

/**
 * The runtime auto-heal restarts through, as AUTOHEAL_RUNTIME names it: the Docker engine at DOCKER_HOST, a
 * supervisor of the AUTOHEAL_PROCESSES commands (started with the server, stopped when auto-heal closes), or none
 * (watch and record only).
 * @example const { runtime, start } = await openRuntime(config, logger)
 */
export async function openRuntime(config: Config, logger?: Logger): Promise<OpenedRuntime> {
  if (config.AUTOHEAL_RUNTIME === 'docker') {
    const { dockerRuntime } = await import('@aetherlink/adapters/docker');
    return { runtime: dockerRuntime({ ...config.DOCKER_HOST, ...(logger ? { logger } : {}) }) };
  }
  if (config.AUTOHEAL_RUNTIME === 'process') {
    const { processRuntime } = await import('@aetherlink/adapters/process');
    const runtime = processRuntime({ workloads: config.AUTOHEAL_PROCESSES, ...(logger ? { logger } : {}) });
    return { runtime, start: () => runtime.start() };
  }
  return { runtime: null };
}
