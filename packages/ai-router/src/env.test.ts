import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, isAetherError, silentLogger } from '@aetherlink/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from './_testing/fake-llm-server.js';
import { descriptorConfig, parseDescriptor, routerFromDescriptor } from './descriptor.js';
import { parseRouterEnv, routerFromEnv } from './env.js';
import type { Router } from './types.js';

let fake: FakeLlmServer;
let dir: string;
beforeAll(async () => {
  fake = await startFakeLlmServer();
  dir = mkdtempSync(join(tmpdir(), 'ai-router-'));
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());
let routers: Router[] = [];
afterEach(() => {
  for (const r of routers) r.close();
  routers = [];
});
const keep = (r: Router) => (routers.push(r), r);

function problems(fn: () => unknown): { message: string; fields: string[] } {
  try {
    fn();
  } catch (error) {
    if (!isAetherError(error)) throw error;
    return { message: error.message, fields: (error.errors ?? []).map((e) => e.field) };
  }
  throw new Error('expected it to throw');
}

describe('routerFromEnv', () => {
  it('builds the seed’s providers in PROVIDER_ORDER from the DESIGN §4 variables', async () => {
    fake.set('c', { kind: 'status', status: 500 });
    fake.set('o', { kind: 'ok', text: 'from openai' });
    const router = keep(
      routerFromEnv({
        PROVIDER_ORDER: 'claude, openai ,ollama',
        ANTHROPIC_BASE_URL: fake.baseUrl('c', 'anthropic'),
        ANTHROPIC_API_KEY: 'sk-ant-secret',
        ANTHROPIC_MODEL: 'claude-x',
        OPENAI_BASE_URL: fake.baseUrl('o', 'openai'),
        OPENAI_API_KEY: 'sk-openai-secret',
        OPENAI_MODEL: 'gpt-x',
        OLLAMA_BASE_URL: fake.baseUrl('l', 'ollama'),
        OLLAMA_MODEL: 'llama-x',
      }),
    );
    expect(router.providerNames()).toEqual(['claude', 'openai', 'ollama']);
    expect(router.providers().map((p) => [p.name, p.vendor, p.model])).toEqual([
      ['claude', 'anthropic', 'claude-x'],
      ['openai', 'openai', 'gpt-x'],
      ['ollama', 'ollama', 'llama-x'],
    ]);
    const result = await router.chat({ messages: [{ role: 'user', content: 'hi' }] });
    expect(result.used_provider).toBe('openai');
    expect(fake.requests('c')[0]?.headers['x-api-key']).toBe('sk-ant-secret');
    expect(fake.requests('o')[0]?.headers.authorization).toBe('Bearer sk-openai-secret');
  });

  it('defaults to the seed’s order, leaving out vendors with nothing configured', () => {
    expect(keep(routerFromEnv({})).providerNames()).toEqual(['ollama']);
    expect(keep(routerFromEnv({ OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', ANTHROPIC_API_KEY: 'k' })).providerNames()).toEqual(['claude', 'ollama', 'openai']);
    expect(keep(routerFromEnv({ PROVIDER_ORDER: 'anthropic', ANTHROPIC_API_KEY: 'k' })).providerNames()).toEqual(['claude']);
  });

  it('names every bad variable at once and never shows a key', () => {
    const { message, fields } = problems(() =>
      routerFromEnv({ PROVIDER_ORDER: 'claude,gemini,openai', OPENAI_BASE_URL: 'not a url', OLLAMA_BASE_URL: 'ftp://x', ANTHROPIC_API_KEY: 'sk-ant-very-secret' }),
    );
    expect(fields).toEqual(['OPENAI_BASE_URL', 'OLLAMA_BASE_URL', 'PROVIDER_ORDER']);
    expect(message).toContain('OPENAI_BASE_URL: must be an http(s) URL');
    expect(message).not.toContain('sk-ant-very-secret');
    const second = problems(() => routerFromEnv({ PROVIDER_ORDER: 'claude,gemini,openai,claude' }));
    expect(second.fields).toEqual(['PROVIDER_ORDER', 'PROVIDER_ORDER', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY']);
    expect(second.message).toContain('PROVIDER_ORDER: unknown provider "gemini"');
    expect(second.message).toContain('ANTHROPIC_API_KEY: is required to call api.anthropic.com');
  });

  it('needs no key for a self-hosted OpenAI-compatible server', () => {
    expect(keep(routerFromEnv({ PROVIDER_ORDER: 'openai', OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1' })).providerNames()).toEqual(['openai']);
  });

  it('reads the YAML descriptor named by AI_PROVIDERS_FILE; PROVIDER_ORDER may reorder it', async () => {
    const file = join(dir, 'ai-providers.yaml');
    writeFileSync(
      file,
      `version: 1
defaults:
  retries: 0
  timeout_ms: 4000
providers:
  claude:
    vendor: anthropic
    model: claude-yaml
    base_url: ${fake.baseUrl('yc', 'anthropic')}
    tier: primary
    capabilities: [summarize_activity, extract_lead, classify_intent]
    breaker: { volume_threshold: 2, reset_timeout_ms: 60000 }
  local:
    vendor: ollama
    model: llama-yaml
    base_url: ${fake.baseUrl('yl', 'ollama')}
    tier: local
    weight: 2
fallback_order: [claude, local]
`,
    );
    fake.set('yc', { kind: 'status', status: 503 });
    fake.set('yl', { kind: 'ok', text: 'local summary' });
    const router = keep(routerFromEnv({ AI_PROVIDERS_FILE: file, ANTHROPIC_API_KEY: 'sk-from-env' }, { logger: silentLogger }));
    expect(router.providerNames()).toEqual(['claude', 'local']);
    const result = await router.run('summarize-activity', 'two calls');
    expect(result).toMatchObject({ used_provider: 'local', output: { summary: 'local summary' } });
    expect(fake.requests('yc')[0]?.headers['x-api-key']).toBe('sk-from-env');
    expect(router.health().claude).toMatchObject({ tier: 'primary', model: 'claude-yaml' });
    await router.run('summarize-activity', 'again');
    expect(router.health().claude?.breaker).toBe('open');

    expect(keep(routerFromEnv({ AI_PROVIDERS_FILE: file, PROVIDER_ORDER: 'local,claude' })).providerNames()).toEqual(['local', 'claude']);
    expect(problems(() => routerFromEnv({ AI_PROVIDERS_FILE: file, PROVIDER_ORDER: 'openai' })).fields).toEqual(['PROVIDER_ORDER']);
    expect(problems(() => routerFromEnv({ AI_PROVIDERS_FILE: join(dir, 'missing.yaml') })).message).toMatch(/AI_PROVIDERS_FILE: cannot read .*ENOENT/);
  });
});

describe('parseRouterEnv', () => {
  it('returns the configuration as plain data, keys included, building nothing', () => {
    const config = parseRouterEnv({ PROVIDER_ORDER: 'anthropic,ollama', ANTHROPIC_API_KEY: 'sk-ant-k', ANTHROPIC_MODEL: 'claude-x', OLLAMA_BASE_URL: 'http://127.0.0.1:11434' });
    expect(config).toEqual({
      providers: { claude: { vendor: 'anthropic', apiKey: 'sk-ant-k', model: 'claude-x' }, ollama: { vendor: 'ollama', baseUrl: 'http://127.0.0.1:11434' } },
      order: ['claude', 'ollama'],
    });
    expect(structuredClone(config)).toEqual(config);
  });

  it('reads the descriptor through readFile, the vendor variables filling what it leaves out', () => {
    const files: string[] = [];
    const config = parseRouterEnv(
      { AI_PROVIDERS_FILE: '/etc/ai.yaml', OPENAI_BASE_URL: 'http://10.0.0.5:8000/v1', VLLM_KEY: 'vk-123456', OLLAMA_MODEL: 'llama-env' },
      {
        readFile: (path) => {
          files.push(path);
          return `providers:
  vllm: { vendor: openai, model: qwen, api_key_env: VLLM_KEY, fallbacks: [local] }
  local: { vendor: ollama, timeout_ms: 9000 }
deadline_ms: 45000
`;
        },
      },
    );
    expect(files).toEqual(['/etc/ai.yaml']);
    expect(config).toMatchObject({
      providers: { vllm: { vendor: 'openai', baseUrl: 'http://10.0.0.5:8000/v1', apiKey: 'vk-123456', model: 'qwen' }, local: { vendor: 'ollama', model: 'llama-env' } },
      settings: { local: { timeoutMs: 9000 } },
      fallbacks: { vllm: ['local'] },
      deadlineMs: 45000,
    });
  });

  it('runs createRouter’s checks too, naming the variable and never a value', () => {
    const descriptor = (text: string) => () => text;
    const unserved = problems(() =>
      parseRouterEnv({ AI_PROVIDERS_FILE: 'ai.yaml' }, { readFile: descriptor('providers:\n  local: { vendor: ollama, capabilities: [chat] }\n') }),
    );
    expect(unserved.fields).toEqual(['AI_PROVIDERS_FILE intents.extract-lead', 'AI_PROVIDERS_FILE intents.summarize-activity', 'AI_PROVIDERS_FILE intents.classify-intent']);
    const badUrl = problems(() =>
      parseRouterEnv({ AI_PROVIDERS_FILE: 'ai.yaml', ANTHROPIC_BASE_URL: 'ftp://user:hunter2@example' }, { readFile: descriptor('providers:\n  claude: { vendor: anthropic }\n') }),
    );
    expect(badUrl.fields).toEqual(['ANTHROPIC_BASE_URL']);
    expect(badUrl.message).toContain('ANTHROPIC_BASE_URL: must be an http(s) URL');
    expect(badUrl.message).not.toContain('hunter2');
    const direct = problems(() => descriptorConfig(parseDescriptor('providers:\n  claude: { vendor: anthropic }\n'), { env: { ANTHROPIC_BASE_URL: 'ftp://user:hunter2@example' } }));
    expect(direct.fields).toEqual(['providers.claude.base_url']);
    expect(direct.message).toContain('ANTHROPIC_BASE_URL: must be an http(s) URL');
    expect(direct.message).not.toContain('hunter2');
  });
});

describe('the YAML descriptor', () => {
  it('names each bad entry by its path', () => {
    const { message, fields } = problems(() =>
      parseDescriptor(`providers:
  claude:
    vendor: gemini
    timeout_ms: -1
    api_key: sk-should-not-be-here
fallback_order: []
`),
    );
    expect(fields).toEqual(expect.arrayContaining(['providers.claude.vendor', 'providers.claude.timeout_ms', 'providers.claude.api_key', 'fallback_order']));
    expect(message).toContain('providers.claude.vendor: must be anthropic, openai or ollama');
    expect(problems(() => parseDescriptor('providers: [unclosed')).message).toMatch(/not valid YAML/);
  });

  it('rejects fallback cycles, unknown intents and unset key variables', () => {
    const descriptor = parseDescriptor(`providers:
  a: { vendor: ollama, fallbacks: [b] }
  b: { vendor: openai, base_url: "http://127.0.0.1:9/v1", fallbacks: [a], api_key_env: VLLM_KEY }
intents:
  write-poem: { capability: poetry }
`);
    const { fields, message } = problems(() => routerFromDescriptor(descriptor, { env: {} }));
    expect(fields).toEqual(['providers.b.api_key_env', 'intents.write-poem']);
    expect(message).toContain('VLLM_KEY, which is not set');
    expect(problems(() => routerFromDescriptor(descriptor, { env: { VLLM_KEY: 'k' }, intents: [] })).message).toContain('intents.write-poem');
    const cyclic = parseDescriptor(`providers:
  a: { vendor: ollama, fallbacks: [b] }
  b: { vendor: ollama, fallbacks: [a] }
`);
    expect(problems(() => routerFromDescriptor(cyclic, { env: {} })).message).toContain('fallbacks.a: cycle a → b → a');
  });

  describe('maps each setting onto the router', () => {
    // `one` hangs unless told otherwise; `two` is the fallback. Time is the injected clock's.
    const build = (extra = '') => {
      const clock = createManualClock();
      const router = keep(
        routerFromDescriptor(
          parseDescriptor(`defaults: { retries: 5, retry_delay_ms: 0, timeout_ms: 600000 }
providers:
  one: { vendor: ollama, base_url: "${fake.baseUrl('d1', 'ollama')}", model: m1, timeout_ms: 20000, retries: 0 }
  two: { vendor: openai, base_url: "${fake.baseUrl('d2', 'openai')}", model: m2 }
strategy: order
deadline_ms: 50000
max_attempts: 4
${extra}
intents:
  classify-intent: { order: [two] }
`),
          { env: {}, clock, random: () => 0, logger: silentLogger },
        ),
      );
      return { router, clock };
    };
    const ask = { messages: [{ role: 'user' as const, content: 'x' }] };

    it('intents.<name>.order: the intent goes to its own chain', async () => {
      fake.set('d2', { kind: 'ok', text: '{"intent":"billing","confidence":0.8}' });
      const { router } = build();
      await expect(router.run('classify-intent', 'my invoice')).resolves.toMatchObject({ used_provider: 'two', output: { intent: 'billing' } });
      expect(fake.hits('d1')).toBe(0);
    });

    it('hedge.after_ms: the next provider starts beside a slow one at exactly that time', async () => {
      fake.set('d1', { kind: 'hang' });
      fake.set('d2', { kind: 'ok', text: 'hedged answer' });
      const { router, clock } = build('hedge: { after_ms: 1000 }');
      const pending = router.chat(ask);
      await fake.waitForHits('d1', 1);
      await clock.advanceAsync(999);
      expect(fake.hits('d2')).toBe(0);
      await clock.advanceAsync(1);
      const result = await pending;
      expect(result).toMatchObject({ used_provider: 'two', text: 'hedged answer' });
      expect(result.attempts).toContainEqual(expect.objectContaining({ provider: 'two', outcome: 'ok', hedged: true }));
      expect(result.attempts).toContainEqual(expect.objectContaining({ provider: 'one', outcome: 'cancelled' }));
    });

    it('providers.<name>.timeout_ms and deadline_ms: one attempt times out at its own limit, the call at its deadline', async () => {
      fake.set('d1', { kind: 'hang' });
      fake.set('d2', { kind: 'hang' });
      const { router, clock } = build();
      const pending = router.chat(ask).catch((e: unknown) => e);
      await fake.waitForHits('d1', 1);
      // One's own 20 000 ms, not the default 600 000; it has no retries of its own.
      await clock.advanceAsync(20_000);
      await fake.waitForHits('d2', 1);
      // Two gets what is left of the 50 000 ms deadline, not its 600 000 ms timeout.
      await clock.advanceAsync(29_999);
      expect(fake.open('d2')).toBe(1);
      await clock.advanceAsync(1);
      const error = (await pending) as { code: string; details: { latency_ms: number; attempts: { provider: string; kind: string; latency_ms: number }[] } };
      expect(error.code).toBe('upstream_failed');
      expect(error.details.latency_ms).toBe(50_000);
      expect(error.details.attempts.map((a) => [a.provider, a.kind, a.latency_ms])).toEqual([
        ['one', 'timeout', 20_000],
        ['two', 'deadline', 30_000],
      ]);
    });

    it('max_attempts: one call makes at most that many attempts, keeping one for each later provider', async () => {
      fake.set('d1', { kind: 'status', status: 500 });
      fake.set('d2', { kind: 'status', status: 503 });
      const { router } = build();
      const error = (await router.chat(ask).catch((e: unknown) => e)) as { details: { attempts: unknown[] } };
      // Two may retry 5 times (defaults), but the call has 4 attempts: one's, then three of two's.
      expect(error.details.attempts).toHaveLength(4);
      expect([fake.hits('d1'), fake.hits('d2')]).toEqual([1, 3]);
    });
  });
});
