import { describe, expect, it } from 'vitest';
import { classifyAddress, formatIp, inRange, parseCidr, parseIp, unmapIp, type AddressKind } from './addresses.js';

const kind = (text: string) => classifyAddress(parseIp(text)!);

describe('parseIp and formatIp', () => {
  it('reads IPv4, IPv6 (compressed, bracketed, zoned, with an IPv4 tail) and nothing else', () => {
    expect(parseIp('127.0.0.1')).toEqual({ family: 4, value: 0x7f000001n });
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('[::1]')).toEqual({ family: 6, value: 1n });
    expect(parseIp('fe80::1%eth0')).toEqual({ family: 6, value: (0xfe80n << 112n) | 1n });
    expect(formatIp(parseIp('::ffff:169.254.169.254')!)).toBe('0:0:0:0:0:ffff:a9fe:a9fe');
    expect(formatIp(parseIp('2001:db8:0:0:1::')!)).toBe('2001:db8:0:0:1:0:0:0');
    for (const bad of ['', 'localhost', '1.2.3', '256.1.1.1', '::g', '1:2:3:4:5:6:7:8:9', '10.0.0.0/8']) expect(parseIp(bad)).toBeNull();
  });

  it('unmaps IPv4-mapped IPv6 to the IPv4 address the kernel connects to', () => {
    expect(formatIp(unmapIp(parseIp('::ffff:10.1.2.3')!))).toBe('10.1.2.3');
    expect(formatIp(unmapIp(parseIp('::ffff:a9fe:a9fe')!))).toBe('169.254.169.254');
    expect(unmapIp(parseIp('fd00::1')!).family).toBe(6);
  });
});

describe('parseCidr and inRange', () => {
  it('parses ranges and bare addresses, masking host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, value: 0x0a000000n, prefix: 8 });
    expect(parseCidr('192.168.1.7')).toMatchObject({ prefix: 32 });
    expect(parseCidr('fc00::/7')).toMatchObject({ family: 6, prefix: 7 });
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/x', 'host/8']) expect(parseCidr(bad)).toBeNull();
  });

  it('matches within a family only, at range edges', () => {
    const r = parseCidr('172.16.0.0/12')!;
    expect(inRange(parseIp('172.16.0.0')!, r)).toBe(true);
    expect(inRange(parseIp('172.31.255.255')!, r)).toBe(true);
    expect(inRange(parseIp('172.32.0.0')!, r)).toBe(false);
    expect(inRange(parseIp('::ffff:172.16.0.1')!, r)).toBe(false);
    expect(inRange(parseIp('1.2.3.4')!, parseCidr('0.0.0.0/0')!)).toBe(true);
  });
});

describe('classifyAddress', () => {
  const cases: [string, AddressKind][] = [
    // IPv4
    ['8.8.8.8', 'public'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['169.254.0.1', 'link-local'],
    ['169.254.255.255', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.0', 'public'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    // IPv6
    ['2606:4700:4700::1111', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'metadata'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    // IPv4 inside IPv6 is judged as the IPv4 address
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:0808:0808::1', 'public'],
    ['::169.254.169.254', 'reserved'],
  ];
  it.each(cases)('%s is %s', (address, expected) => {
    expect(kind(address)).toBe(expected);
  });
});
