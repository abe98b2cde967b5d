import { AetherError, validationError, type FieldError } from '../errors.js';
import { ALWAYS_REFUSED, classifyAddress, inRange, parseCidr, parseIp, unmapIp, type AddressKind, type IpRange } from './addresses.js';

/** One entry of an allow or deny list: an address range, or a host name (`*.example.internal` for its subdomains). */
export type EgressRule = { type: 'range'; text: string; range: IpRange } | { type: 'host'; text: string; name: string; subdomains: boolean };

export interface EgressRulesOptions {
  /** Let calls reach private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, …). Default false. */
  allowPrivate?: boolean;
  /** Let calls reach loopback (127/8, ::1). Default false. */
  allowLoopback?: boolean;
  /** CIDRs, addresses or host names let through even when private or loopback is refused. */
  allow?: readonly string[];
  /** CIDRs, addresses or host names always refused; they win over `allow`. */
  deny?: readonly string[];
}

/** The compiled rules of one egress policy. */
export interface EgressRules {
  allowPrivate: boolean;
  allowLoopback: boolean;
  allow: readonly EgressRule[];
  deny: readonly EgressRule[];
}

/** Why a call was refused: the kind of address, a deny-list entry, a scheme other than http(s), a host that did not resolve, or a URL that is not one. */
export type EgressRefusalKind = AddressKind | 'denied' | 'scheme' | 'unresolved' | 'invalid';

/** A refusal, with a reason written for the operator who configured the call. */
export interface EgressRefusal {
  kind: EgressRefusalKind;
  reason: string;
  /** The address refused, when one was. */
  address?: string;
}

/** What a host alone decides: refused, an address literal that passed, or a name whose addresses must be looked up. */
export type HostDecision = { outcome: 'refused'; refusal: EgressRefusal } | { outcome: 'allowed' } | { outcome: 'resolve'; allowListed: boolean };

const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal']);
const HOST_NAME = /^(\*\.)?(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

const PHRASE: Record<AddressKind, string> = {
  metadata: 'a cloud metadata address',
  'link-local': 'a link-local address',
  unspecified: 'an unspecified address (0.0.0.0/8 or ::)',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  private: 'a private address',
  loopback: 'a loopback address',
  public: 'a public address',
};

/**
 * A host as rules compare it: lower-case, without IPv6 brackets or a trailing dot.
 * @example normalizeHost('Metadata.Google.Internal.') // 'metadata.google.internal'
 */
export function normalizeHost(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) return h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * Parses one allow- or deny-list entry: `10.0.0.0/8`, `fd12::/16`, `192.168.1.20`, `billing.internal` or
 * `*.corp.example`. Throws `validation_failed` saying what is wrong with it.
 * @example parseEgressRule('10.0.0.0/8') // { type: 'range', text: '10.0.0.0/8', range: { family: 4, … } }
 */
export function parseEgressRule(text: string): EgressRule {
  const entry = text.trim();
  if (/^[\d.]+(\/.*)?$/.test(entry) || entry.includes(':')) {
    const parsed = parseCidr(entry);
    if (!parsed) throw new AetherError('validation_failed', `"${entry}" is not an IP address or CIDR range (such as 10.0.0.0/8 or fd00::/8)`);
    // A rule on ::ffff:10.0.0.0/104 means 10.0.0.0/8: addresses are compared unmapped.
    const range = parsed.family === 6 && parsed.prefix >= 96 && unmapIp(parsed).family === 4 ? { ...unmapIp(parsed), prefix: parsed.prefix - 96 } : parsed;
    return { type: 'range', text: entry, range };
  }
  const name = normalizeHost(entry);
  if (!HOST_NAME.test(name)) throw new AetherError('validation_failed', `"${entry}" is not a host name, IP address or CIDR range`);
  return name.startsWith('*.') ? { type: 'host', text: entry, name: name.slice(2), subdomains: true } : { type: 'host', text: entry, name, subdomains: false };
}

/**
 * Compiles policy options into rules, naming every bad list entry (`allow[2]`, `deny[0]`) at once.
 * @example compileEgressRules({ allowPrivate: true, deny: ['10.9.0.0/16'] })
 */
export function compileEgressRules(options: EgressRulesOptions = {}): EgressRules {
  const errors: FieldError[] = [];
  const compile = (list: readonly string[] | undefined, field: string) =>
    (list ?? []).flatMap((text, i) => {
      try {
        return [parseEgressRule(text)];
      } catch (error) {
        errors.push({ field: `${field}[${i}]`, message: (error as Error).message });
        return [];
      }
    });
  const rules = { allowPrivate: options.allowPrivate ?? false, allowLoopback: options.allowLoopback ?? false, allow: compile(options.allow, 'allow'), deny: compile(options.deny, 'deny') };
  if (errors.length) throw validationError(errors, 'the egress policy is invalid');
  return rules;
}

const hostMatches = (rule: EgressRule, host: string) =>
  rule.type === 'host' && (rule.subdomains ? host.endsWith(`.${rule.name}`) : host === rule.name);

/**
 * Judges a host before any lookup: metadata names and deny-listed names are refused, an address literal is
 * judged as an address, and a name needs its addresses looked up. Pure.
 * @example decideHost(compileEgressRules(), 'metadata.google.internal') // { outcome: 'refused', refusal: { kind: 'metadata', … } }
 */
export function decideHost(rules: EgressRules, rawHost: string): HostDecision {
  const host = normalizeHost(rawHost);
  if (parseIp(host)) {
    const refusal = decideAddress(rules, host, host);
    return refusal ? { outcome: 'refused', refusal } : { outcome: 'allowed' };
  }
  if (!host) return { outcome: 'refused', refusal: { kind: 'invalid', reason: 'the URL has no host' } };
  if (METADATA_HOSTS.has(host)) return { outcome: 'refused', refusal: { kind: 'metadata', reason: `${host} is a cloud metadata host: calls there are always refused` } };
  const denied = rules.deny.find((r) => hostMatches(r, host));
  if (denied) return { outcome: 'refused', refusal: { kind: 'denied', reason: `${host} is on the deny list (${denied.text})` } };
  return { outcome: 'resolve', allowListed: rules.allow.some((r) => hostMatches(r, host)) };
}

/**
 * Judges one address a call would connect to, asked for as `host` (the same text for an address literal).
 * Always-refused kinds first, then the deny list, then the allow list (or an allow-listed host name), then
 * private and loopback as configured; anything else is public and allowed. Null means allowed. Pure.
 * @example decideAddress(compileEgressRules({ allowPrivate: true }), 'api.internal', '10.0.0.7') // null
 */
export function decideAddress(rules: EgressRules, rawHost: string, rawAddress: string, allowListedHost = false): EgressRefusal | null {
  const parsed = parseIp(rawAddress);
  const host = normalizeHost(rawHost);
  if (!parsed) return { kind: 'invalid', reason: `${host} did not resolve to an IP address` };
  const ip = unmapIp(parsed);
  const address = normalizeHost(rawAddress);
  const subject = host === address ? `${address} is` : `${host} resolves to ${address}, which is`;
  const kind = classifyAddress(ip);
  if (ALWAYS_REFUSED.has(kind)) return { kind, address, reason: `${subject} ${PHRASE[kind]}: calls there are always refused` };
  const inList = (list: readonly EgressRule[]) => list.find((r) => r.type === 'range' && inRange(ip, r.range));
  const denied = inList(rules.deny);
  if (denied) return { kind: 'denied', address, reason: `${subject} on the deny list (${denied.text})` };
  if (allowListedHost || inList(rules.allow)) return null;
  if ((kind === 'private' && !rules.allowPrivate) || (kind === 'loopback' && !rules.allowLoopback)) {
    return { kind, address, reason: `${subject} ${PHRASE[kind]}, and ${kind} addresses are not allowed for this call (add it to the allow list to permit it)` };
  }
  return null;
}
