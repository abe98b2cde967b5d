import { describe, expect, it } from 'vitest';
import { buildChain, findFallbackProblems, orderChain } from './plan.js';

const known = new Set(['claude', 'openai', 'ollama', 'vllm']);

describe('buildChain', () => {
  it('keeps the order and inserts each provider’s fallbacks after it, once', () => {
    expect(buildChain(['claude', 'ollama'], { claude: ['openai'], openai: ['ollama'] }, known, 'order')).toEqual({ chain: ['claude', 'openai', 'ollama'], problems: [] });
  });

  it('names unknown providers and providers listed twice', () => {
    const { problems } = buildChain(['claude', 'gemini', 'claude'], {}, known, 'order');
    expect(problems).toEqual([
      { field: 'order.1', message: 'unknown provider "gemini"; known: claude, openai, ollama, vllm' },
      { field: 'order.2', message: '"claude" is listed twice' },
    ]);
  });
});

describe('findFallbackProblems', () => {
  it('finds cycles, once each', () => {
    expect(findFallbackProblems({ claude: ['openai'], openai: ['ollama'], ollama: ['claude'] }, known)).toEqual([{ field: 'fallbacks.claude', message: 'cycle claude → openai → ollama → claude' }]);
    expect(findFallbackProblems({ vllm: ['vllm'] }, known)).toEqual([{ field: 'fallbacks.vllm', message: 'cycle vllm → vllm' }]);
  });

  it('names unknown providers on both sides', () => {
    expect(findFallbackProblems({ x: ['claude'], claude: ['y'] }, known)).toEqual([
      { field: 'fallbacks.x', message: 'unknown provider "x"' },
      { field: 'fallbacks.claude.0', message: 'unknown provider "y"' },
    ]);
  });

  it('accepts a graph without cycles', () => {
    expect(findFallbackProblems({ claude: ['openai', 'ollama'], openai: ['ollama'] }, known)).toEqual([]);
  });
});

describe('orderChain', () => {
  const p50: Record<string, number | null> = { claude: 900, openai: 120, ollama: null };
  const snapshot = { p50: (n: string) => p50[n] ?? null, weight: (n: string) => (n === 'ollama' ? 3 : 1), random: 0 };

  it('keeps the configured order by default', () => {
    expect(orderChain(['claude', 'openai', 'ollama'], 'order', snapshot)).toEqual(['claude', 'openai', 'ollama']);
  });

  it('puts the lowest recent p50 first; providers without answers keep their place after', () => {
    expect(orderChain(['claude', 'ollama', 'openai'], 'latency', snapshot)).toEqual(['openai', 'claude', 'ollama']);
  });

  it('draws the first provider by weight and keeps the rest in order', () => {
    const chain = ['claude', 'openai', 'ollama'];
    expect(orderChain(chain, 'weighted', { ...snapshot, random: 0.1 })).toEqual(['claude', 'openai', 'ollama']);
    expect(orderChain(chain, 'weighted', { ...snapshot, random: 0.3 })).toEqual(['openai', 'claude', 'ollama']);
    expect(orderChain(chain, 'weighted', { ...snapshot, random: 0.9 })).toEqual(['ollama', 'claude', 'openai']);
  });
});
