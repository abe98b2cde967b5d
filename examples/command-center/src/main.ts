import { isAetherError } from '@aetherlink/core';
import { instanceServiceName, registerSelf, type SelfRegistration } from '@aetherlink/registry';
import { ConfigError, loadConfig } from './config.js';
import { createCommandCenter } from './server.js';

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

let cc: Awaited<ReturnType<typeof createCommandCenter>>;
try {
  cc = await createCommandCenter(config);
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

let self: SelfRegistration | undefined;
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    cc.app.log.info(`${signal} received; shutting down`);
    // Deregister while the server can still answer its own DELETE, then close.
    Promise.resolve(self?.stop())
      .catch(() => undefined)
      .then(() => cc.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          cc.app.log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  });
}

try {
  const address = await cc.app.listen({ port: config.PORT, host: config.HOST });
  cc.app.log.info(`AetherLink command center ${cc.version} (${cc.instance}) listening on ${address}`);
  process.stdout.write(`listening on ${address}\n`);
  if (config.SELF_REGISTER !== false) {
    // Instances sharing one database each register under their own name.
    const name = config.DATABASE_URL ? instanceServiceName(config.SERVICE_NAME, cc.instance) : config.SERVICE_NAME;
    self = registerSelf({
      controlPlaneUrl: address.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:'),
      service: { name, url: config.PUBLIC_URL ?? address, version: cc.version, tags: ['control-plane'] },
      auth: config.AUTH_MODE === 'jwt' ? { bearer: config.SELF_REGISTER_TOKEN! } : { roles: ['operator'] },
      logger: cc.app.log,
    });
  }
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'EADDRINUSE' ? `port ${config.PORT} is already in use; set PORT to a free port`
    : code === 'EACCES' ? `not allowed to listen on port ${config.PORT}; pick a port above 1024`
    : code === 'EADDRNOTAVAIL' ? `HOST ${config.HOST} is not an address of this machine`
    : (error as Error).message;
  process.stderr.write(`AetherLink command center cannot start: ${reason}\n`);
  await cc.close().catch(() => undefined);
  process.exit(1);
}
