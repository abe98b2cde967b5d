import { defineConfig } from 'tsup';

// What the container runs: one ESM file on the built packages (dependencies stay external). `pnpm start` runs
// from source instead.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  clean: true,
  target: 'node22',
  sourcemap: true,
});
