// Issue #17, item 5, shortened for CI: a soak of the reference server as its own process under mixed load, within
// the bounds of SOAK_BOUNDS (soak.ts); the figures go to bench/results/soak.json. `pnpm soak 1h` runs the long one.
import { describe, expect, it, vi } from 'vitest';
import { runSoak, writeSoakResults } from './soak.js';

const DURATION_MS = Number(process.env.SOAK_MS ?? 90_000);
vi.setConfig({ testTimeout: DURATION_MS + 180_000 });

describe('soak', () => {
  it('keeps memory flat, the event loop responsive and every route answering, with nothing but deliberate errors', async () => {
    const figures = await runSoak({ durationMs: DURATION_MS, warmupMs: Math.min(20_000, DURATION_MS / 4), sampleMs: 5000 });
    writeSoakResults(figures);
    console.info(`[hardening] soak: ${JSON.stringify(figures, null, 1)}`);
    expect(figures.failures).toEqual([]);
  });
});
