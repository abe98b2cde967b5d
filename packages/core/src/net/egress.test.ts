import { get } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAetherError } from '../errors.js';
import { createEgressPolicy, type ResolvedAddress } from './egress.js';

/** A resolver from a table; a list of answers is served one per lookup (the last one repeats). */
function fakeDns(table: Record<string, string[] | string[][]>) {
  const calls: string[] = [];
  const served = new Map<string, number>();
  const resolve = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const entry = table[host];
    if (!entry) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const answers = Array.isArray(entry[0]) ? (entry as string[][]) : [entry as string[]];
    const n = served.get(host) ?? 0;
    served.set(host, n + 1);
    return answers[Math.min(n, answers.length - 1)]!.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { resolve, calls };
}

/** A TCP server on 127.0.0.1 that records connections and the bytes each one sent until it closed. */
let server: Server;
let port: number;
const sessions: { bytes: number; closed: boolean }[] = [];
const open = new Set<Socket>();
beforeAll(async () => {
  server = createServer((socket) => {
    open.add(socket);
    const session = { bytes: 0, closed: false };
    sessions.push(session);
    socket.on('data', (chunk: Buffer) => {
      session.bytes += chunk.length;
      if (chunk.toString().startsWith('GET ')) socket.end('HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n');
    });
    socket.on('close', () => {
      session.closed = true;
      open.delete(socket);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const socket of open) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const outcome = (socket: Socket) =>
  new Promise<{ connected: true } | { error: Error }>((resolve) => {
    // A guard destroys a refused socket in its own 'connect' listener; later listeners still run, on a dead socket.
    socket.once('connect', () => !socket.destroyed && resolve({ connected: true }));
    socket.once('error', (error) => resolve({ error }));
  });

describe('check(url)', () => {
  const strict = createEgressPolicy({ resolve: fakeDns({}).resolve });

  it('refuses metadata and link-local targets written as IPv4, IPv6 and IPv4-mapped IPv6', async () => {
    const open = createEgressPolicy({ allowPrivate: true, allowLoopback: true, allow: ['0.0.0.0/0', '::/0'] });
    for (const [url, kind] of [
      ['http://169.254.169.254/latest/meta-data/iam/', 'metadata'],
      ['http://[::ffff:169.254.169.254]/', 'metadata'],
      ['http://[::ffff:a9fe:a9fe]/', 'metadata'],
      ['http://[fd00:ec2::254]/', 'metadata'],
      ['http://169.254.10.10:8080/', 'link-local'],
      ['https://[fe80::1]/', 'link-local'],
      ['http://0.0.0.0:8080/', 'unspecified'],
      ['http://[::]/', 'unspecified'],
      ['http://224.0.0.1/', 'multicast'],
    ] as const) {
      expect(await open.check(url), url).toMatchObject({ allowed: false, kind, reason: expect.stringContaining('always refused') });
    }
  });

  it('refuses metadata host names without looking them up', async () => {
    const dns = fakeDns({ 'metadata.google.internal': ['8.8.8.8'] });
    const policy = createEgressPolicy({ allowPrivate: true, allowLoopback: true, resolve: dns.resolve });
    expect(await policy.check('http://metadata.google.internal/computeMetadata/v1/')).toMatchObject({
      allowed: false,
      host: 'metadata.google.internal',
      kind: 'metadata',
      reason: 'metadata.google.internal is a cloud metadata host: calls there are always refused',
    });
    expect(await policy.check('http://METADATA.GOOGLE.INTERNAL./')).toMatchObject({ allowed: false, kind: 'metadata' });
    expect(dns.calls).toEqual([]);
  });

  it('refuses loopback and private literals under a strict policy, whatever their spelling', async () => {
    expect(await strict.check('http://127.0.0.1:8080/')).toMatchObject({ allowed: false, kind: 'loopback' });
    expect(await strict.check('http://2130706433/')).toMatchObject({ allowed: false, kind: 'loopback' });
    expect(await strict.check('http://0x7f.1/')).toMatchObject({ allowed: false, kind: 'loopback' });
    expect(await strict.check('http://[::1]/')).toMatchObject({ allowed: false, kind: 'loopback' });
    expect(await strict.check('http://10.0.0.1/')).toMatchObject({ allowed: false, kind: 'private' });
    expect(await strict.check('http://100.64.1.1/')).toMatchObject({ allowed: false, kind: 'private' });
    expect(await strict.check('http://[fd12::1]/')).toMatchObject({ allowed: false, kind: 'private' });
    expect(await strict.check('https://8.8.8.8/')).toEqual({ allowed: true, host: '8.8.8.8', addresses: ['8.8.8.8'] });
  });

  it('resolves names and judges every address they resolve to', async () => {
    const dns = fakeDns({ 'db.internal': ['10.0.0.5'], 'api.example': ['93.184.216.34'], 'mixed.example': ['93.184.216.34', '127.0.0.1'], 'sneaky.example': ['169.254.169.254'], 'v6.internal': ['fd00::7'] });
    const policy = createEgressPolicy({ resolve: dns.resolve });
    expect(await policy.check('http://api.example/hook')).toEqual({ allowed: true, host: 'api.example', addresses: ['93.184.216.34'] });
    expect(await policy.check('http://db.internal:5432/')).toMatchObject({ allowed: false, kind: 'private', address: '10.0.0.5', reason: expect.stringMatching(/^db.internal resolves to 10.0.0.5, which is a private address/) });
    expect(await policy.check('http://v6.internal/')).toMatchObject({ allowed: false, kind: 'private', address: 'fd00::7' });
    expect(await policy.check('http://mixed.example/')).toMatchObject({ allowed: false, kind: 'loopback', address: '127.0.0.1' });
    const lenient = createEgressPolicy({ allowPrivate: true, allowLoopback: true, resolve: dns.resolve });
    expect(await lenient.check('http://db.internal/')).toMatchObject({ allowed: true, addresses: ['10.0.0.5'] });
    expect(await lenient.check('http://sneaky.example/')).toMatchObject({ allowed: false, kind: 'metadata', reason: 'sneaky.example resolves to 169.254.169.254, which is a cloud metadata address: calls there are always refused' });
  });

  it('resolves real names with the system resolver (localhost is loopback)', async () => {
    expect(await createEgressPolicy().check(`http://localhost:${port}/`)).toMatchObject({ allowed: false, kind: 'loopback' });
    const allowed = await createEgressPolicy({ allowLoopback: true }).check(`http://localhost:${port}/`);
    expect(allowed).toMatchObject({ allowed: true, host: 'localhost' });
  });

  it('applies the allow and deny lists to names and addresses', async () => {
    const dns = fakeDns({ 'hooks.internal': ['10.9.0.1'], 'vault.internal': ['10.9.0.2'], 'other.internal': ['10.9.0.3'] });
    const policy = createEgressPolicy({ resolve: dns.resolve, allow: ['hooks.internal', '10.20.0.0/16'], deny: ['vault.internal', '10.20.5.0/24'] });
    expect(await policy.check('http://hooks.internal/')).toMatchObject({ allowed: true });
    expect(await policy.check('http://other.internal/')).toMatchObject({ allowed: false, kind: 'private' });
    expect(await policy.check('http://vault.internal/')).toMatchObject({ allowed: false, kind: 'denied', reason: 'vault.internal is on the deny list (vault.internal)' });
    expect(await policy.check('http://10.20.1.1/')).toMatchObject({ allowed: true });
    expect(await policy.check('http://10.20.5.1/')).toMatchObject({ allowed: false, kind: 'denied' });
    expect(dns.calls).toEqual(['hooks.internal', 'other.internal']);
  });

  it('refuses other schemes, non-URLs, and reports names that do not resolve', async () => {
    expect(await strict.check('file:///etc/passwd')).toMatchObject({ allowed: false, kind: 'scheme', reason: 'file is not http or https' });
    expect(await strict.check('gopher://8.8.8.8/')).toMatchObject({ allowed: false, kind: 'scheme' });
    expect(await strict.check('not a url')).toMatchObject({ allowed: false, kind: 'invalid' });
    expect(await strict.check('http://nowhere.example/')).toMatchObject({ allowed: false, kind: 'unresolved', reason: 'nowhere.example could not be resolved (ENOTFOUND)' });
    const stuck = createEgressPolicy({ resolve: () => new Promise<never>(() => undefined) });
    expect(await stuck.check('http://slow.example/', { timeoutMs: 20 })).toMatchObject({ allowed: false, kind: 'unresolved', reason: 'slow.example could not be resolved (ETIMEOUT)' });
  });

  it('rejects a bad list entry when the policy is built, naming it', () => {
    expect(() => createEgressPolicy({ deny: ['10.0.0.0/8', '10.0.0.0/40'] })).toThrow(/deny\[1\]: "10.0.0.0\/40" is not an IP address or CIDR range/);
  });
});

describe('at connect time', () => {
  it('lookup: a name that resolves to a public address first and loopback the second time is refused when it connects', async () => {
    const dns = fakeDns({ 'rebind.example': [['93.184.216.34'], ['127.0.0.1']] });
    const policy = createEgressPolicy({ resolve: dns.resolve });
    // The check before the call sees the public address...
    expect(await policy.check(`http://rebind.example:${port}/`)).toMatchObject({ allowed: true, addresses: ['93.184.216.34'] });
    const before = sessions.length;
    // ...and the connection, which looks the name up again, is refused at the address it would really reach.
    const result = await outcome(connect({ host: 'rebind.example', port, lookup: policy.lookup }));
    expect('error' in result && isAetherError(result.error)).toBe(true);
    expect((result as { error: Error }).error).toMatchObject({
      code: 'egress_refused',
      message: 'refused to connect: rebind.example resolves to 127.0.0.1, which is a loopback address, and loopback addresses are not allowed for this call (add it to the allow list to permit it)',
      details: { host: 'rebind.example', kind: 'loopback', address: '127.0.0.1' },
    });
    expect(dns.calls).toEqual(['rebind.example', 'rebind.example']);
    expect(sessions.length).toBe(before);
  });

  it('lookup: an allowed name connects, over net and http, with one address or all of them', async () => {
    const dns = fakeDns({ 'svc.internal': ['127.0.0.1'] });
    const policy = createEgressPolicy({ allowLoopback: true, resolve: dns.resolve });
    const socket = connect({ host: 'svc.internal', port, lookup: policy.lookup, autoSelectFamily: false });
    expect(await outcome(socket)).toEqual({ connected: true });
    socket.destroy();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get({ host: 'svc.internal', port, path: '/', lookup: policy.lookup, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject);
    });
    expect(status).toBe(204);
    const all = await new Promise<unknown>((resolve) => policy.lookup('svc.internal', { all: true }, (_err, addresses) => resolve(addresses)));
    expect(all).toEqual([{ address: '127.0.0.1', family: 4 }]);
    const none = await new Promise<unknown>((resolve) => policy.lookup('svc.internal', { family: 6 }, (err) => resolve(err)));
    expect(none).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('guardSocket: an address literal (which skips lookup) is refused on connect, before a byte is written', async () => {
    const before = sessions.length;
    const strict = createEgressPolicy();
    const socket = strict.guardSocket(connect({ host: '127.0.0.1', port }), '127.0.0.1');
    socket.on('connect', () => socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n'));
    const result = await outcome(socket);
    expect(result).toMatchObject({ error: { code: 'egress_refused', details: { kind: 'loopback', address: '127.0.0.1' } } });
    // The kernel accepted the TCP connection; the server saw it close with nothing sent.
    await expect.poll(() => sessions.length > before && sessions.at(-1)!.closed).toBe(true);
    expect(sessions.at(-1)!.bytes).toBe(0);

    const lenient = createEgressPolicy({ allowLoopback: true });
    const allowed = lenient.guardSocket(connect({ host: '127.0.0.1', port }), '127.0.0.1');
    expect(await outcome(allowed)).toEqual({ connected: true });
    allowed.destroy();
  });

  it('guardSocket judges the address connected to, not the name asked for', async () => {
    // An allow-listed name may land on loopback; another name may not.
    const policy = createEgressPolicy({ allow: ['svc.internal'] });
    const asked = (host: string) => outcome(policy.guardSocket(connect({ host: '127.0.0.1', port }), host));
    const ok = await asked('svc.internal');
    expect(ok).toEqual({ connected: true });
    expect(await asked('elsewhere.internal')).toMatchObject({ error: { code: 'egress_refused', message: expect.stringContaining('elsewhere.internal resolves to 127.0.0.1') } });
    expect(await asked('metadata.google.internal')).toMatchObject({ error: { code: 'egress_refused', details: { kind: 'metadata' } } });
  });
});
