import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@aetherlink/source', 'module', 'node', 'import', 'default'] },
  ssr: { resolve: { conditions: ['@aetherlink/source', 'module', 'node', 'import', 'default'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
  },
});
