import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    express: 'src/http/express.ts',
    fastify: 'src/http/fastify.ts',
    sqlite: 'src/storage/sqlite/index.ts',
    postgres: 'src/storage/postgres/index.ts',
    // The SQLite writer thread's entry: `sqlite` starts it as a worker from the file beside itself.
    'sqlite-writer': 'src/storage/sqlite/writer-thread.ts',
    docker: 'src/runtime/docker.ts',
    process: 'src/runtime/process.ts',
  },
  // import.meta.url in the CommonJS build too, to find the writer thread's file.
  shims: true,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node22',
  // Optional peers are loaded with createRequire(import.meta.url) (src/_internal/peer.ts); the CJS build needs the shim.
  shims: true,
});
