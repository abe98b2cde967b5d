import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node22',
  },
  {
    entry: { index: 'src/index.ts' },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    target: 'node22',
    // p-retry is ESM only; bundling it keeps require() free of ESM interop surprises.
    noExternal: ['p-retry', 'is-network-error'],
  },
]);
