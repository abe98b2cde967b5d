import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // p-retry is ESM only: bundled into both builds (a few hundred lines), so it is a devDependency and require() of
  // the CJS build needs no ESM interop.
  noExternal: ['p-retry', 'is-network-error'],
});
