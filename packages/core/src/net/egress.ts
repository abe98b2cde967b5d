import { promises as dns, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { AetherError } from '../errors.js';
import { compileEgressRules, decideAddress, decideHost, normalizeHost, type EgressRefusal, type EgressRules, type EgressRulesOptions } from './egress-rules.js';

/** One address a host name resolved to. */
export interface ResolvedAddress {
  address: string;
  /** 4 or 6. */
  family: number;
}

export interface EgressPolicyOptions extends EgressRulesOptions {
  /** Looks a host name up, every address of it. Default: `dns.lookup(host, { all: true })` (hosts file and DNS, as connections do). */
  resolve?: (hostname: string) => Promise<readonly ResolvedAddress[]>;
}

/** The answer of `check(url)`: allowed with the addresses the host resolved to, or refused with a reason. */
export type EgressDecision = { allowed: true; host: string; addresses: string[] } | ({ allowed: false; host: string } & EgressRefusal);

/**
 * The guard for outbound calls made on someone's say-so. `check` answers before a call; `lookup` and
 * `guardSocket` refuse at connect time, so the address actually connected to is the one judged (a name that
 * resolves elsewhere on the second lookup is caught). Redirects are the caller's to leave unfollowed.
 */
export interface EgressPolicy {
  readonly rules: EgressRules;
  /** Resolves the URL's host and judges every address; never throws. `timeoutMs` bounds the lookup (then `unresolved`). */
  check(url: string | URL, options?: { timeoutMs?: number }): Promise<EgressDecision>;
  /** A `lookup` for `net.connect({ lookup })`, `tls.connect` or undici's `connect` options: fails with `egress_refused` instead of answering a refused address. */
  readonly lookup: LookupFunction;
  /** The refusal for a connected socket's remote address, asked for as `host`; null when it may go on. */
  verifySocket(socket: Socket, host?: string): AetherError | null;
  /**
   * Destroys the socket with `egress_refused` the moment it connects to a refused address, before anything is
   * written (writes after that fail). 'connect' listeners added later still run: check `socket.destroyed` there.
   */
  guardSocket<S extends Socket>(socket: S, host?: string): S;
}

/**
 * The `egress_refused` error for a refusal, naming the host and the kind of address.
 * @example throw egressRefusedError('metadata.google.internal', refusal)
 */
export function egressRefusedError(host: string, refusal: EgressRefusal): AetherError {
  return new AetherError('egress_refused', `refused to connect: ${refusal.reason}`, {
    details: { host: normalizeHost(host), kind: refusal.kind, ...(refusal.address ? { address: refusal.address } : {}) },
  });
}

const defaultResolve = async (hostname: string): Promise<ResolvedAddress[]> => dns.lookup(hostname, { all: true });

const notFound = (host: string) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host });

function withTimeout<T>(promise: Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Builds an egress policy: link-local and metadata addresses (and names such as `metadata.google.internal`)
 * are refused always; private and loopback ranges unless allowed; then the deny list, then the allow list.
 * @example
 * const egress = createEgressPolicy({ allowPrivate: true, allowLoopback: true, deny: ['10.99.0.0/16'] });
 * const socket = egress.guardSocket(net.connect({ host, port, lookup: egress.lookup }), host);
 */
export function createEgressPolicy(options: EgressPolicyOptions = {}): EgressPolicy {
  const rules = compileEgressRules(options);
  const resolve = options.resolve ?? defaultResolve;

  // Every address a host may be reached at, or the refusal; a failed lookup rejects with its own error.
  const judge = async (rawHost: string, family = 0, timeoutMs?: number): Promise<{ found: ResolvedAddress[] } | { refusal: EgressRefusal }> => {
    const host = normalizeHost(rawHost);
    const decision = decideHost(rules, host);
    if (decision.outcome === 'refused') return { refusal: decision.refusal };
    if (decision.outcome === 'allowed') return { found: [{ address: host, family: isIP(host) }] };
    const found = (await withTimeout(Promise.resolve(resolve(host)), timeoutMs)).filter((a) => !family || a.family === family);
    if (found.length === 0) throw notFound(host);
    // One refused address refuses the name: a client may try any of them, and a mixed answer is an attack or a mistake.
    for (const { address } of found) {
      const refusal = decideAddress(rules, host, address, decision.allowListed);
      if (refusal) return { refusal };
    }
    return { found: found.map((a) => ({ address: a.address, family: a.family })) };
  };

  const lookup = ((hostname: string, lookupOptions: LookupOptions | ((...args: never[]) => void), callback?: (...args: unknown[]) => void) => {
    const opts = typeof lookupOptions === 'function' ? {} : (lookupOptions ?? {});
    const cb = (typeof lookupOptions === 'function' ? lookupOptions : callback) as (err: Error | null, address?: string | LookupAddress[], family?: number) => void;
    const family = typeof opts.family === 'number' ? opts.family : opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : 0;
    judge(hostname, family).then(
      (judged) => {
        if ('refusal' in judged) return cb(egressRefusedError(hostname, judged.refusal));
        const [first] = judged.found;
        return opts.all ? cb(null, judged.found) : cb(null, first!.address, first!.family);
      },
      (error: Error) => cb(error),
    );
  }) as LookupFunction;

  const verifySocket = (socket: Socket, host?: string): AetherError | null => {
    const address = socket.remoteAddress;
    const asked = host ?? address ?? '';
    if (!address) return egressRefusedError(asked, { kind: 'invalid', reason: `the address ${asked} connected to is unknown` });
    const decision = decideHost(rules, asked);
    if (decision.outcome === 'refused') return egressRefusedError(asked, decision.refusal);
    const refusal = decideAddress(rules, asked, address, decision.outcome === 'resolve' && decision.allowListed);
    return refusal ? egressRefusedError(asked, refusal) : null;
  };

  return {
    rules,
    lookup,
    verifySocket,
    guardSocket(socket, host) {
      // Prepended so it runs before the listener that starts writing (or the TLS handshake).
      socket.prependOnceListener('connect', () => {
        const refused = verifySocket(socket, host);
        if (refused) socket.destroy(refused);
      });
      return socket;
    },
    async check(url, checkOptions = {}) {
      let parsed: URL;
      try {
        parsed = typeof url === 'string' ? new URL(url) : url;
      } catch {
        return { allowed: false, host: '', kind: 'invalid', reason: 'it is not an absolute URL' };
      }
      const host = normalizeHost(parsed.hostname);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        return { allowed: false, host, kind: 'scheme', reason: `${parsed.protocol.replace(/:$/, '')} is not http or https` };
      }
      try {
        const judged = await judge(host, 0, checkOptions.timeoutMs);
        if ('refusal' in judged) return { allowed: false, host, ...judged.refusal };
        return { allowed: true, host, addresses: judged.found.map((a) => a.address) };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return { allowed: false, host, kind: 'unresolved', reason: `${host} could not be resolved${typeof code === 'string' ? ` (${code})` : ''}` };
      }
    },
  };
}
