import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    // The CommonJS build needs import.meta.url too: the optional OpenTelemetry API is required from beside it.
    shims: true,
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node22',
  },
  {
    // Contract suites run under vitest, which cannot be require()d: ESM only.
    entry: { 'testing/index': 'src/testing/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    target: 'node22',
    external: ['vitest', '@aetherlink/core'],
  },
]);
