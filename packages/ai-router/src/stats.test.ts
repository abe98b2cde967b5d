import { describe, expect, it } from 'vitest';
import { LatencyWindow, ProviderStats, toHealth } from './stats.js';

describe('LatencyWindow', () => {
  it('gives nearest-rank percentiles over the last N samples', () => {
    const w = new LatencyWindow(10);
    expect(w.percentile(0.5)).toBeNull();
    for (let i = 1; i <= 10; i++) w.add(i * 10);
    expect(w.percentile(0.5, true)).toBe(50);
    expect(w.percentile(0.95, true)).toBe(100);
    for (let i = 0; i < 10; i++) w.add(1000);
    expect(w.percentile(0.5, true)).toBe(1000);
    expect(w.count).toBe(10);
  });

  it('re-sorts lazily on the hot path', () => {
    const w = new LatencyWindow(100, 8);
    w.add(10);
    expect(w.percentile(0.5)).toBe(10);
    w.add(500);
    w.add(500);
    expect(w.percentile(0.5)).toBe(10);
    expect(w.percentile(0.5, true)).toBe(500);
  });
});

describe('toHealth', () => {
  it('reports the seed’s fields and the extra ones', () => {
    const s = new ProviderStats();
    s.begin();
    s.success(Date.parse('2026-01-01T00:00:00Z'), 120);
    s.tokens({ input_tokens: 10, output_tokens: 5, total_tokens: 15 });
    s.begin();
    s.failure(Date.parse('2026-01-01T00:00:01Z'), '529 overloaded_error: Overloaded', true);
    expect(toHealth(s, 'closed', null, { name: 'claude', vendor: 'anthropic', model: 'm', tier: 'primary', capabilities: null })).toEqual({
      healthy: false,
      last_error: '529 overloaded_error: Overloaded',
      last_checked: '2026-01-01T00:00:01.000Z',
      total_calls: 2,
      failed_calls: 1,
      breaker: 'closed',
      reopens_at: null,
      p50_ms: 120,
      p95_ms: 120,
      tokens: { input: 10, output: 5, total: 15 },
      vendor: 'anthropic',
      model: 'm',
      tier: 'primary',
      capabilities: null,
    });
  });

  it('leaves health alone for failures that say nothing about the provider', () => {
    const s = new ProviderStats();
    s.failure(0, 'bad request', false);
    expect(s.failedCalls).toBe(0);
    expect(s.lastOk).toBe(true);
  });
});
