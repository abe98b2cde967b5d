import { cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { defineConfig } from 'tsup';

// The published server (`npx @aetherlink/command-center`), also what benchmarks and the container run: one ESM
// file on the built packages (every dependency stays external), with its shebang, plus the dashboard's and the API
// page's static files beside it, Scalar's standalone viewer among them (so @scalar/api-reference, with its hundreds of
// megabytes of dependencies, is a devDependency). `pnpm start` runs from source instead and needs no build.
export default defineConfig({
  entry: { main: 'src/main.ts' },
  format: ['esm'],
  clean: true,
  target: 'node22',
  sourcemap: true,
  async onSuccess() {
    cpSync('src/dashboard', 'dist/dashboard', { recursive: true });
    cpSync('src/docs', 'dist/docs', { recursive: true });
    const scalar = createRequire(join(process.cwd(), 'package.json')).resolve('@scalar/api-reference');
    cpSync(join(scalar, '..', 'browser', 'standalone.js'), 'dist/docs/scalar.js');
  },
});
