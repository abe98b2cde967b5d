import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * A name for this process among its peers: host, pid and a random suffix (pids repeat across restarts).
 * @example const owner = instanceId() // 'web-1:4711:9f2c'
 */
export function instanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
}
