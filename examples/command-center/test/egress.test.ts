import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createCommandCenter, type CommandCenter } from '../src/server.js';

describe('the registry probes’ egress policy from the environment', () => {
  let cc: CommandCenter;
  let url: string;
  beforeAll(async () => {
    const config = loadConfig({ LOG_LEVEL: 'silent', AUDIT_LOG: 'off', AETHERLINK_DB: ':memory:', SELF_REGISTER: 'false', REGISTRY_PROBE_DENY: '127.0.0.0/8' });
    cc = await createCommandCenter(config, { env: {} });
    url = await cc.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => cc.close());

  const register = async (body: unknown) => {
    const res = await fetch(`${url}/ops/register`, { method: 'POST', headers: { 'x-user-roles': 'operator', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { errors?: { field: string; message: string }[] } };
  };

  it('refuses a deny-listed health URL (REGISTRY_PROBE_DENY) and the metadata address, naming health_url', async () => {
    const denied = await register({ name: 'local', url: 'http://127.0.0.1:9' });
    expect(denied.status).toBe(400);
    expect(denied.body.errors).toEqual([
      expect.objectContaining({ field: 'health_url', message: 'may not be probed: 127.0.0.1 is on the deny list (127.0.0.0/8)' }),
    ]);
    const metadata = await register({ name: 'imds', url: 'http://10.0.0.1', health_url: 'http://169.254.169.254/latest/meta-data/' });
    expect(metadata.status).toBe(400);
    expect(metadata.body.errors).toEqual([expect.objectContaining({ field: 'health_url' })]);
    // Private addresses stay allowed by default.
    expect((await register({ name: 'internal', url: 'http://10.0.0.1:8080' })).status).toBe(200);
  });
});
