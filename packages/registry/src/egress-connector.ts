import type { EgressPolicy } from '@aetherlink/core';
import { buildConnector } from 'undici';

/**
 * An undici `connect` function under an egress policy: host names are looked up through the policy (a refused
 * address fails the connection, however the name resolved before), and the address actually connected to is
 * judged before undici writes a byte on the socket (address literals skip the lookup). Plain connections are
 * judged on connect; TLS ones once the handshake is done, before the request.
 * @example const agent = new Agent({ connect: egressConnector(createEgressPolicy({ allowPrivate: true }), { timeout: 5000 }) })
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
