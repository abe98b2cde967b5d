import type { EgressPolicy } from '@aetherlink/core';
import { buildConnector } from 'undici';

// The same guard as the registry's probes (packages/registry/src/egress-connector.ts): names are looked up through
// the policy, and the address actually connected to is judged before undici writes a byte.

/**
 * An undici `connect` function under an egress policy: a refused address fails the connection with
 * `egress_refused`, however the name resolved when the endpoint was vetted.
 * @example new Agent({ connect: egressConnector(egress, { timeout: 5000 }) })
 */
export function egressConnector(egress: EgressPolicy, options: buildConnector.BuildOptions = {}): buildConnector.connector {
  const connect = buildConnector({ ...options, lookup: egress.lookup });
  return (target, callback) => {
    connect(target, (...args) => {
      const [error, socket] = args;
      if (error !== null) return callback(error, null);
      const refused = egress.verifySocket(socket, target.hostname);
      if (!refused) return callback(null, socket);
      socket.destroy();
      return callback(refused, null);
    });
  };
}
