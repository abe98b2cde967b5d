import { createRequire } from 'node:module';
import { AetherError } from '@aetherlink/core';

/** The optional peer dependencies, and the subpath of this package that needs each. */
export const PEERS = {
  'better-sqlite3': '@aetherlink/adapters/sqlite',
  pg: '@aetherlink/adapters/postgres',
  dockerode: '@aetherlink/adapters/docker',
  express: '@aetherlink/adapters/express',
  fastify: '@aetherlink/adapters/fastify',
} as const;

export type PeerName = keyof typeof PEERS;

// Resolved from this package's own location, where a package manager puts its peers. (The CJS build gets
// import.meta.url from tsup's shim.)
const requireHere = createRequire(import.meta.url);

/**
 * Loads an optional peer dependency when a subpath first needs it, so importing a subpath never fails for a peer
 * the app does not use; a missing one throws `dependency_missing` naming the package to install.
 * @example const pg = loadPeer<typeof import('pg')>('pg'); new pg.Pool({ connectionString })
 */
export function loadPeer<T>(name: PeerName, load: (name: string) => unknown = requireHere): T {
  try {
    return load(name) as T;
  } catch (error) {
    if (!isMissing(error, name)) throw error;
    throw missingPeer(name, error);
  }
}

/**
 * The error for an optional peer that is not installed, naming it and the subpath that needs it (for peers loaded
 * another way than `loadPeer`, such as dockerode through `import()`).
 * @example throw missingPeer('dockerode', error)
 */
export function missingPeer(name: PeerName, cause: unknown): AetherError {
  return new AetherError(
    'dependency_missing',
    `${PEERS[name]} needs the package "${name}", which is not installed. It is an optional peer dependency: install it beside @aetherlink/adapters (npm install ${name}).`,
    { cause, details: { package: name, subpath: PEERS[name] } },
  );
}

// Only the peer itself being absent: a peer that is present but fails to load (a native module built for another
// Node, say) keeps its own error.
function isMissing(error: unknown, name: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (e?.code === 'MODULE_NOT_FOUND' || e?.code === 'ERR_MODULE_NOT_FOUND') && typeof e.message === 'string' && e.message.includes(`'${name}'`);
}
