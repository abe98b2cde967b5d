import { describe, expect, it } from 'vitest';
import { compileEgressRules, decideAddress, decideHost, parseEgressRule } from './egress-rules.js';

describe('parseEgressRule', () => {
  it('reads CIDRs, addresses, host names and subdomain wildcards', () => {
    expect(parseEgressRule('10.0.0.0/8')).toMatchObject({ type: 'range', text: '10.0.0.0/8', range: { family: 4, prefix: 8 } });
    expect(parseEgressRule(' fd00::/8 ')).toMatchObject({ type: 'range', range: { family: 6, prefix: 8 } });
    expect(parseEgressRule('192.168.1.20')).toMatchObject({ type: 'range', range: { prefix: 32 } });
    expect(parseEgressRule('::ffff:10.0.0.0/104')).toMatchObject({ type: 'range', range: { family: 4, prefix: 8 } });
    expect(parseEgressRule('Billing.Internal.')).toEqual({ type: 'host', text: 'Billing.Internal.', name: 'billing.internal', subdomains: false });
    expect(parseEgressRule('*.corp.example')).toEqual({ type: 'host', text: '*.corp.example', name: 'corp.example', subdomains: true });
  });

  it('says what is wrong with a bad entry', () => {
    expect(() => parseEgressRule('10.0.0.0/33')).toThrow(/"10.0.0.0\/33" is not an IP address or CIDR range/);
    expect(() => parseEgressRule('1.2.3')).toThrow(/not an IP address or CIDR range/);
    expect(() => parseEgressRule('bad host')).toThrow(/"bad host" is not a host name/);
    expect(() => parseEgressRule('')).toThrow(/is not a host name/);
    expect(() => parseEgressRule('a.*.b')).toThrow(/is not a host name/);
  });

  it('names every bad list entry at once', () => {
    try {
      compileEgressRules({ allow: ['10.0.0.0/8', 'x y'], deny: ['300.1.1.1'] });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'validation_failed', errors: [{ field: 'allow[1]' }, { field: 'deny[0]' }] });
    }
  });
});

describe('decideHost', () => {
  const strict = compileEgressRules();
  it('refuses metadata names always, however they are spelt', () => {
    for (const host of ['metadata.google.internal', 'METADATA.google.internal.', 'metadata', 'instance-data']) {
      expect(decideHost(compileEgressRules({ allowPrivate: true, allowLoopback: true, allow: [host] }), host)).toMatchObject({
        outcome: 'refused',
        refusal: { kind: 'metadata', reason: expect.stringContaining('cloud metadata host') },
      });
    }
  });

  it('judges address literals at once and sends names to be resolved', () => {
    expect(decideHost(strict, '[::ffff:169.254.169.254]')).toMatchObject({ outcome: 'refused', refusal: { kind: 'metadata', address: '::ffff:169.254.169.254' } });
    expect(decideHost(strict, '8.8.8.8')).toEqual({ outcome: 'allowed' });
    expect(decideHost(strict, 'api.example.com')).toEqual({ outcome: 'resolve', allowListed: false });
  });

  it('refuses deny-listed names and marks allow-listed ones, subdomains by wildcard', () => {
    const rules = compileEgressRules({ allow: ['billing.internal', '*.svc.cluster.local'], deny: ['*.corp'] });
    expect(decideHost(rules, 'billing.internal')).toEqual({ outcome: 'resolve', allowListed: true });
    expect(decideHost(rules, 'x.billing.internal')).toEqual({ outcome: 'resolve', allowListed: false });
    expect(decideHost(rules, 'api.ns.svc.cluster.local')).toEqual({ outcome: 'resolve', allowListed: true });
    expect(decideHost(rules, 'svc.cluster.local')).toEqual({ outcome: 'resolve', allowListed: false });
    expect(decideHost(rules, 'vault.corp')).toMatchObject({ outcome: 'refused', refusal: { kind: 'denied', reason: 'vault.corp is on the deny list (*.corp)' } });
  });
});

describe('decideAddress', () => {
  it('refuses link-local and metadata always, even when allowed by every option', () => {
    const open = compileEgressRules({ allowPrivate: true, allowLoopback: true, allow: ['169.254.0.0/16', '0.0.0.0/0', '::/0'] });
    expect(decideAddress(open, '169.254.169.254', '169.254.169.254')).toEqual({
      kind: 'metadata',
      address: '169.254.169.254',
      reason: '169.254.169.254 is a cloud metadata address: calls there are always refused',
    });
    expect(decideAddress(open, 'evil.example', '169.254.1.1')).toMatchObject({
      kind: 'link-local',
      reason: 'evil.example resolves to 169.254.1.1, which is a link-local address: calls there are always refused',
    });
    expect(decideAddress(open, 'h', 'fe80::1')).toMatchObject({ kind: 'link-local' });
    expect(decideAddress(open, 'h', 'fd00:ec2::254')).toMatchObject({ kind: 'metadata' });
    expect(decideAddress(open, 'h', '0.0.0.0')).toMatchObject({ kind: 'unspecified' });
    expect(decideAddress(open, 'h', 'ff02::1')).toMatchObject({ kind: 'multicast' });
  });

  it('refuses private and loopback unless allowed, and lets public through', () => {
    const strict = compileEgressRules();
    expect(decideAddress(strict, 'db.internal', '10.0.0.5')).toMatchObject({
      kind: 'private',
      reason: 'db.internal resolves to 10.0.0.5, which is a private address, and private addresses are not allowed for this call (add it to the allow list to permit it)',
    });
    expect(decideAddress(strict, '::1', '::1')).toMatchObject({ kind: 'loopback' });
    expect(decideAddress(strict, 'h', 'fd12::1')).toMatchObject({ kind: 'private' });
    expect(decideAddress(strict, 'h', '::ffff:127.0.0.1')).toMatchObject({ kind: 'loopback' });
    expect(decideAddress(strict, 'h', '8.8.8.8')).toBeNull();
    const privateOnly = compileEgressRules({ allowPrivate: true });
    expect(decideAddress(privateOnly, 'h', '10.0.0.5')).toBeNull();
    expect(decideAddress(privateOnly, 'h', '127.0.0.1')).toMatchObject({ kind: 'loopback' });
    expect(decideAddress(compileEgressRules({ allowLoopback: true }), 'h', '127.0.0.1')).toBeNull();
  });

  it('lets the allow list open private ranges, and the deny list win over both', () => {
    const rules = compileEgressRules({ allow: ['10.1.0.0/16', 'hooks.internal'], deny: ['10.1.9.0/24', '203.0.113.0/24', '8.8.4.4'] });
    expect(decideAddress(rules, 'h', '10.1.2.3')).toBeNull();
    expect(decideAddress(rules, 'h', '::ffff:10.1.2.3')).toBeNull();
    expect(decideAddress(rules, 'h', '10.2.0.1')).toMatchObject({ kind: 'private' });
    expect(decideAddress(rules, 'h', '10.1.9.9')).toMatchObject({ kind: 'denied', reason: 'h resolves to 10.1.9.9, which is on the deny list (10.1.9.0/24)' });
    expect(decideAddress(rules, 'h', '8.8.4.4')).toMatchObject({ kind: 'denied' });
    // An allow-listed name may resolve to any private address, but never past the deny list or the always-refused kinds.
    expect(decideAddress(rules, 'hooks.internal', '10.200.0.1', true)).toBeNull();
    expect(decideAddress(rules, 'hooks.internal', '10.1.9.1', true)).toMatchObject({ kind: 'denied' });
    expect(decideAddress(rules, 'hooks.internal', '169.254.169.254', true)).toMatchObject({ kind: 'metadata' });
  });
});
