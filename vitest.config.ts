import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source through this export condition, so tests need no build.
const SOURCE = '@aetherlink/source';

// Time limits sized for a busy two-core machine, and consistent with the waits inside the tests: `eventually()`
// (@aetherlink/core/testing) and `expect.poll` both give a real-world condition 10 s, so a test or hook that
// waits once still has room to set up and clean up before vitest gives up on it. Suites whose work differs say
// so at their top with `vi.setConfig` (the reference server started as its own process: 90 s), and a single test
// that waits longer carries its own limit.
const WAIT_MS = 10_000;

export default defineConfig({
  resolve: { conditions: [SOURCE, 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: [SOURCE, 'module', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 3 * WAIT_MS,
    hookTimeout: 3 * WAIT_MS,
    expect: { poll: { timeout: WAIT_MS, interval: 50 } },
    // The global teardown stops the run's PostgreSQL, which `pg_ctl stop` allows 30 s.
    teardownTimeout: 40_000,
  },
});
