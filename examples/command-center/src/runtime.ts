import { AetherError, type Logger, type RuntimeAdapter } from '@aetherlink/core';
import type { Config } from './config.js';

/**
 * The runtime auto-heal restarts through, as AUTOHEAL_RUNTIME names it; null for `none` (watch and record only).
 * @example const runtime = await openRuntime(config, logger)
 */
export async function openRuntime(config: Config, _logger?: Logger): Promise<RuntimeAdapter | null> {
  if (config.AUTOHEAL_RUNTIME === 'none') return null;
  // The Docker and process adapters join @aetherlink/adapters with the runtime work; until then only `none` runs.
  throw new AetherError('config_invalid', `AUTOHEAL_RUNTIME=${config.AUTOHEAL_RUNTIME} needs the @aetherlink/adapters/${config.AUTOHEAL_RUNTIME} runtime, which this build does not include yet; use AUTOHEAL_RUNTIME=none`);
}
