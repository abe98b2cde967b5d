import { AetherError, isAetherError } from '@aetherlink/core';
import { missingPeer } from '../_internal/peer.js';
import type { DockerContainerJson } from './docker-state.js';

// The few dockerode calls the adapter makes, typed here so the package's types never need @types/dockerode, and
// the mapping of their failures to AetherError codes.

/** Where the engine listens: a Unix socket (default /var/run/docker.sock) or host and port (a socket proxy, say). */
export interface DockerConnection {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

interface CallOptions {
  abortSignal?: AbortSignal;
}

/** The part of a dockerode `Docker` the adapter uses. */
export interface DockerClient {
  getContainer(id: string): {
    inspect(options?: CallOptions): Promise<DockerContainerJson>;
    restart(options: CallOptions & { t: number; signal?: string }): Promise<unknown>;
  };
  getEvents(options: CallOptions & { since?: string; until?: string; filters?: Record<string, string[]> }): Promise<NodeJS.ReadableStream>;
}

type DockerodeConstructor = new (options: Record<string, unknown>) => DockerClient;

/**
 * Loads dockerode (an optional peer dependency), or says clearly which package to install.
 * @example const Docker = await loadDockerode()
 */
export async function loadDockerode(importer: () => Promise<unknown> = () => import('dockerode')): Promise<DockerodeConstructor> {
  let loaded: unknown;
  try {
    loaded = await importer();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw missingPeer('dockerode', error);
    }
    throw error;
  }
  const module = loaded as { default?: unknown };
  return (typeof module.default === 'function' ? module.default : loaded) as DockerodeConstructor;
}

/** The engine's address as people write it, for messages. */
export function describeConnection(connection: DockerConnection): string {
  if (connection.host) return `${connection.protocol ?? 'http'}://${connection.host}:${connection.port ?? 2375}`;
  return `unix://${connection.socketPath ?? '/var/run/docker.sock'}`;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOTSOCK']);

/** A failed engine call as an AetherError naming what was asked and of which engine. */
export function engineError(error: unknown, what: string, where: string, timedOut: boolean): AetherError {
  if (isAetherError(error)) return error;
  const e = error as { code?: string; statusCode?: number; message?: string; json?: { message?: string } };
  const detail = (e.json?.message ?? e.message ?? String(error)).trim();
  if (timedOut) return new AetherError('timeout', `the Docker engine at ${where} did not answer ${what} in time`, { cause: error });
  if (e.code && UNREACHABLE.has(e.code)) {
    const hint = e.code === 'EACCES' ? ' (no permission on the socket: run as a member of the docker group, or use a socket proxy)' : '';
    return new AetherError('unavailable', `the Docker engine at ${where} is unreachable: ${e.code}${hint}`, { cause: error });
  }
  switch (e.statusCode) {
    case 404:
      return new AetherError('not_found', `${what}: ${detail}`, { cause: error });
    case 409:
      return new AetherError('conflict', `${what}: ${detail}`, { cause: error });
    case 401:
    case 403:
      return new AetherError('forbidden', `the Docker API at ${where} refused ${what} (a socket proxy must allow it): ${detail}`, { cause: error });
    default:
      return new AetherError(e.statusCode ? 'upstream_failed' : 'unavailable', `the Docker engine at ${where} failed ${what}: ${detail}`, { cause: error });
  }
}

/**
 * Runs one engine call with its own time limit, and the caller's abort: rejects with the caller's reason when it
 * aborts, with a `timeout` AetherError when the limit passes, and with the mapped engine error otherwise. The
 * HTTP request is cancelled by the limit only, so an aborted caller leaves a restart to finish in the engine.
 * @example await engineCall((abortSignal) => container.inspect({ abortSignal }), { timeoutMs: 10_000, what: 'inspect', where })
 */
export async function engineCall<T>(
  call: (abortSignal: AbortSignal) => Promise<T>,
  options: { timeoutMs: number; what: string; where: string; abort?: AbortSignal; cancelOnAbort?: boolean },
): Promise<T> {
  if (options.abort?.aborted) throw options.abort.reason;
  const limit = AbortSignal.timeout(options.timeoutMs);
  const signal = options.cancelOnAbort && options.abort ? AbortSignal.any([limit, options.abort]) : limit;
  try {
    return await call(signal);
  } catch (error) {
    if (options.abort?.aborted && options.cancelOnAbort) throw options.abort.reason;
    throw engineError(error, options.what, options.where, limit.aborted);
  }
}
