import { isIP } from 'node:net';

/** An IP address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** An address range: the address with its prefix length. */
export interface IpRange extends IpAddress {
  prefix: number;
}

/**
 * What an address is, for deciding whether an outbound call may go there. `public` is everything not named.
 * `metadata` is a cloud instance-metadata endpoint (AWS, GCP, Azure, Alibaba, Oracle), whatever range holds it.
 */
export type AddressKind = 'public' | 'private' | 'loopback' | 'link-local' | 'metadata' | 'unspecified' | 'multicast' | 'broadcast' | 'reserved';

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

function parseV4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function parseV6(text: string): bigint {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = (part: string | undefined): number[] => {
    if (!part) return [];
    return part.split(':').flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const v4 = Number(parseV4(g));
      return [v4 >>> 16, v4 & 0xffff];
    });
  };
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/**
 * Parses an IPv4 or IPv6 address (brackets and a zone such as `%eth0` are dropped); null for anything else.
 * @example parseIp('[::ffff:10.0.0.1]') // { family: 6, value: 281470849220609n }
 */
export function parseIp(text: string): IpAddress | null {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const family = isIP(s);
  if (family === 4) return { family: 4, value: parseV4(s) };
  if (family === 6) return { family: 6, value: parseV6(s) };
  return null;
}

/**
 * Parses `10.0.0.0/8`, `fc00::/7` or a bare address (a range of one); null when it is neither. The address is
 * masked to the prefix, so `10.1.2.3/8` is `10.0.0.0/8`.
 * @example parseCidr('169.254.0.0/16') // { family: 4, value: 2851995648n, prefix: 16 }
 */
export function parseCidr(text: string): IpRange | null {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return null;
  const width = bits(ip.family);
  if (slash < 0) return { ...ip, prefix: width };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > width) return null;
  const prefix = Number(prefixText);
  const shift = BigInt(width - prefix);
  return { family: ip.family, value: (ip.value >> shift) << shift, prefix };
}

/**
 * True when `range` holds `address` (same family only; see `unmapIp` for IPv4-mapped IPv6).
 * @example inRange(parseIp('10.1.2.3')!, parseCidr('10.0.0.0/8')!) // true
 */
export function inRange(address: IpAddress, range: IpRange): boolean {
  if (address.family !== range.family) return false;
  const shift = BigInt(bits(range.family) - range.prefix);
  return address.value >> shift === range.value >> shift;
}

const MAPPED = parseCidr('::ffff:0:0/96')!;

/**
 * The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:a.b.c.d`), or the address unchanged: the kernel
 * connects to the IPv4 address, so rules about IPv4 ranges must see it.
 * @example formatIp(unmapIp(parseIp('::ffff:169.254.169.254')!)) // '169.254.169.254'
 */
export function unmapIp(address: IpAddress): IpAddress {
  return inRange(address, MAPPED) ? { family: 4, value: address.value & 0xffffffffn } : address;
}

/**
 * Writes an address back as text (IPv6 in full, lower-case hex groups, no `::` compression).
 * @example formatIp({ family: 4, value: 2130706433n }) // '127.0.0.1'
 */
export function formatIp(address: IpAddress): string {
  if (address.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((address.value >> s) & 0xffn)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((address.value >> BigInt(112 - i * 16)) & 0xffffn).toString(16)).join(':');
}

const table = (rows: [AddressKind, string[]][]) => rows.flatMap(([kind, cidrs]) => cidrs.map((c) => ({ kind, range: parseCidr(c)! })));

// First match wins, so the metadata addresses come before the ranges that hold them.
const V4 = table([
  ['metadata', ['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '192.0.0.192']],
  ['unspecified', ['0.0.0.0/8']],
  ['loopback', ['127.0.0.0/8']],
  ['link-local', ['169.254.0.0/16']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '198.18.0.0/15']],
  ['broadcast', ['255.255.255.255']],
  ['multicast', ['224.0.0.0/4']],
  ['reserved', ['240.0.0.0/4', '192.0.0.0/24', '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '192.88.99.0/24']],
]);

const V6 = table([
  ['metadata', ['fd00:ec2::254', 'fd00:ec2::23']],
  ['unspecified', ['::']],
  ['loopback', ['::1']],
  ['link-local', ['fe80::/10']],
  ['private', ['fc00::/7', 'fec0::/10']],
  ['multicast', ['ff00::/8']],
  // IPv4-compatible (deprecated), discard-only, documentation and ORCHID ranges: never a real destination.
  ['reserved', ['::/96', '100::/64', '2001:db8::/32', '2001:10::/28', '2001:20::/28']],
]);

// IPv6 ranges that carry an IPv4 address a gateway will reach for us: judged as that IPv4 address.
const EMBEDDING: { range: IpRange; extract: (value: bigint) => bigint }[] = [
  { range: MAPPED, extract: (v) => v & 0xffffffffn },
  { range: parseCidr('64:ff9b::/96')!, extract: (v) => v & 0xffffffffn }, // NAT64, well-known prefix
  { range: parseCidr('64:ff9b:1::/48')!, extract: (v) => v & 0xffffffffn }, // NAT64, local use
  { range: parseCidr('2002::/16')!, extract: (v) => (v >> 80n) & 0xffffffffn }, // 6to4
];

/**
 * What kind of destination an address is. IPv4 inside IPv6 (mapped, NAT64, 6to4) is judged as the IPv4 address.
 * @example classifyAddress(parseIp('::ffff:169.254.169.254')!) // 'metadata'
 */
export function classifyAddress(address: IpAddress): AddressKind {
  if (address.family === 6) {
    for (const { range, extract } of EMBEDDING) {
      if (inRange(address, range)) return classifyAddress({ family: 4, value: extract(address.value) });
    }
  }
  for (const row of address.family === 4 ? V4 : V6) if (inRange(address, row.range)) return row.kind;
  return 'public';
}

/**
 * Kinds no policy lets a call reach: they are never a service's address, and reaching them leaks the host's
 * own credentials (metadata) or hits the machine itself by surprise (0.0.0.0).
 * @example ALWAYS_REFUSED.has('link-local') // true
 */
export const ALWAYS_REFUSED: ReadonlySet<AddressKind> = new Set<AddressKind>(['metadata', 'link-local', 'unspecified', 'multicast', 'broadcast', 'reserved']);
