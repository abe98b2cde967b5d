#!/usr/bin/env node
import { isAetherError } from '@aetherlink/core';
import { handleArguments } from './cli.js';
import { ConfigError, loadConfig } from './config.js';
import { createCommandCenter, type CommandCenter } from './server.js';

const args = handleArguments(process.argv.slice(2), process.stdout, process.stderr);
if (!args.start) process.exit(args.exitCode);

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`AetherLink command center cannot start: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

let cc: CommandCenter;
let failedToStart = false;
try {
  cc = await createCommandCenter(config, { exit: (code) => process.exit(failedToStart ? 1 : code) });
} catch (error) {
  // A database that cannot be opened or reached is the operator's to fix: say what and where, no stack trace.
  if (isAetherError(error)) {
    process.stderr.write(`AetherLink command center cannot start: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

process.on('unhandledRejection', (reason) => {
  cc.app.log.error({ err: reason }, 'an unhandled promise rejection was caught; the server keeps running');
});
// SIGTERM: readiness fails, the server deregisters and finishes its requests, loops stop, stores close — within
// SHUTDOWN_TIMEOUT_MS. A second signal exits at once, saying what was still open.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => cc.shutdown.onSignal(signal));

try {
  const address = await cc.listen();
  cc.app.log.info(`AetherLink command center ${cc.version} (${cc.instance}) listening on ${address}`);
  process.stdout.write(`listening on ${address}\n`);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'EADDRINUSE' ? `port ${config.PORT} is already in use; set PORT to a free port`
    : code === 'EACCES' ? `not allowed to listen on port ${config.PORT}; pick a port above 1024`
    : code === 'EADDRNOTAVAIL' ? `HOST ${config.HOST} is not an address of this machine`
    : (error as Error).message;
  process.stderr.write(`AetherLink command center cannot start: ${reason}\n`);
  failedToStart = true;
  await cc.close().catch(() => undefined);
  process.exit(1);
}
