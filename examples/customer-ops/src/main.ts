import { isAetherError } from '@aetherlink/core';
import { ConfigError, loadConfig } from './config.js';
import { createCustomerOps } from './server.js';

let config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`customer-ops cannot start: ${error.message}\n`);
  process.exit(1);
}

let failedToStart = false;
let ops;
try {
  ops = await createCustomerOps(config, { exit: (code) => process.exit(failedToStart ? 1 : code) });
} catch (error) {
  if (!isAetherError(error)) throw error;
  process.stderr.write(`customer-ops cannot start: ${error.message}\n`);
  process.exit(1);
}
const service = ops;
// SIGTERM: readiness fails, the service deregisters from the command center, finishes its requests, sends what is
// left in the outbox and closes its database, within SHUTDOWN_TIMEOUT_MS. A second signal exits at once.
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => service.shutdown.onSignal(signal));

try {
  const address = await service.listen();
  process.stdout.write(`customer-ops listening on ${address}\n`);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  process.stderr.write(`customer-ops cannot start: ${code === 'EADDRINUSE' ? `port ${config.PORT} is already in use; set PORT` : (error as Error).message}\n`);
  failedToStart = true;
  await service.close().catch(() => undefined);
  process.exit(1);
}
