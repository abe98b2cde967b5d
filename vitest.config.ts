import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source through this export condition, so tests need no build.
const SOURCE = '@aetherlink/source';

// Time limits sized for a busy two-core machine, and consistent with the waits inside the tests: `eventually()`
// (@aetherlink/core/testing) and `expect.poll` both give a real-world condition 10 s, so a test that waits a few
// times still has room before vitest gives up on it. Hooks start things (servers, Chromium, the reference server as
// a process, which examples/command-center/test/helpers.ts allows 60 s). Suites whose work differs say so at their
// top with `vi.setConfig`, and a single test that waits longer carries its own limit.
const WAIT_MS = 10_000;

export default defineConfig({
  resolve: { conditions: [SOURCE, 'module', 'browser', 'development|production'] },
  // No 'module' on the server side: Node never resolves it, and vitest hands these conditions to require() too, where
  // a package's 'module' build (@opentelemetry/api's, with extensionless imports) cannot load.
  ssr: { resolve: { conditions: [SOURCE, 'node', 'development|production'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 3 * WAIT_MS,
    hookTimeout: 90_000,
    expect: { poll: { timeout: WAIT_MS, interval: 50 } },
    // The global teardown stops the run's PostgreSQL, which `pg_ctl stop` allows 30 s.
    teardownTimeout: 40_000,
  },
});
