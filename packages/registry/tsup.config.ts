import { defineConfig } from 'tsup';

// p-retry (and its one dependency) is bundled into both builds, so it is a devDependency: users install nothing
// for it, and require() of the CJS build meets no ESM-only package.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  noExternal: ['p-retry', 'is-network-error'],
});
