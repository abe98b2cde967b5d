import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The reference server built for benchmarks and deployments: one ESM file on the built packages, plus the
// dashboard's and the API page's static files beside it. `pnpm start` runs from source instead and needs no build.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  clean: true,
  target: 'node22',
  async onSuccess() {
    cpSync('src/dashboard', 'dist/dashboard', { recursive: true });
    cpSync('src/docs', 'dist/docs', { recursive: true });
  },
});
