import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source through this export condition, so tests need no build.
const SOURCE = '@aetherlink/source';

export default defineConfig({
  resolve: { conditions: [SOURCE, 'module', 'browser', 'development|production'] },
  ssr: { resolve: { conditions: [SOURCE, 'module', 'node', 'development|production'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
  },
});
