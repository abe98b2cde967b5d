// The gateway behind JWT auth: an app hands the official `openai` client its JWT as `apiKey`, which the
// client sends as `Authorization: Bearer <jwt>`. Real JWKS on 127.0.0.1, real Fastify, real fake providers.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtPrincipalResolver } from '@aetherlink/core';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from './_testing/fake-llm-server.js';
import { fakeProviders } from './_testing/fake-providers.js';
import { serveRoutes, type ServedRoutes } from './_testing/serve-routes.js';
import { createRouter } from './router.js';

const ISSUER = 'https://sso.test/realms/ops';
const AUDIENCE = 'aetherlink';

let jwks: Server;
let key: CryptoKey;
let strangerKey: CryptoKey;
let fake: FakeLlmServer;
let served: ServedRoutes;
// What reached the server, so the test can see how the client sent the token.
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'gw', alg: 'ES256', use: 'sig' };
  jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`;
  const resolve = jwtPrincipalResolver({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, rolesClaim: 'realm_access.roles' });
  fake = await startFakeLlmServer();
  served = await serveRoutes({
    principal: (request) => {
      seen.push({ ...(request.headers as IncomingHttpHeaders) });
      return resolve(request);
    },
  });
});
afterAll(async () => {
  await served.close();
  await fake.close();
  await new Promise<void>((r) => jwks.close(() => r()));
});
beforeEach(() => {
  fake.reset();
  seen.length = 0;
  served.use(createRouter({ providers: fakeProviders(fake), defaults: { retries: 0 } }));
});

const token = (roles: string[], signWith: CryptoKey = key) =>
  new SignJWT({ realm_access: { roles } }).setProtectedHeader({ alg: 'ES256', kid: 'gw' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('app-7').setExpirationTime('5m').sign(signWith);
const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${served.url}/v1`, maxRetries: 0, timeout: 10_000 });
const messages = [{ role: 'user' as const, content: 'hello' }];

describe('the gateway with JWT auth, the JWT given to the openai client as apiKey', () => {
  it('answers a completion and lists models; the token arrived as a bearer', async () => {
    fake.set('claude', { kind: 'ok', text: 'hello, token holder', usage: { input: 2, output: 3 } });
    const jwt = await token(['agent']);
    const openai = client(jwt);
    const completion = await openai.chat.completions.create({ model: 'auto', messages });
    expect(completion.choices[0]?.message.content).toBe('hello, token holder');
    expect(seen[0]?.authorization).toBe(`Bearer ${jwt}`);
    const ids = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(['auto', 'claude', 'claude-test', 'openai', 'gpt-test', 'ollama', 'llama-test']);
  });

  it('streams a completion', async () => {
    fake.set('claude', { kind: 'ok', text: 'streamed behind a JWT', usage: { input: 2, output: 5 } });
    const stream = await client(await token(['agent'])).chat.completions.create({ model: 'auto', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('streamed behind a JWT');
    expect(usage).toEqual({ prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 });
  });

  it('refuses an invalid token with 401, before any provider is called, plain or streamed', async () => {
    for (const bad of ['not-a-jwt', await token(['agent'], strangerKey)]) {
      const openai = client(bad);
      await expect(openai.chat.completions.create({ model: 'auto', messages })).rejects.toMatchObject({ status: 401 });
      await expect(openai.chat.completions.create({ model: 'auto', messages, stream: true })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
      await expect(openai.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    }
    expect(fake.hits('claude')).toBe(0);
  });

  it('answers 403 to a valid token without ai:invoke', async () => {
    await expect(client(await token(['viewer'])).chat.completions.create({ model: 'auto', messages })).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(fake.hits('claude')).toBe(0);
  });
});
