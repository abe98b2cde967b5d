// Run inside a fresh project holding only @aetherlink/core and @aetherlink/adapters: every subpath still loads
// (ESM and CJS), and using one whose peer is missing says which package to install.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SUBPATHS = { express: 'express', fastify: 'fastify', sqlite: 'better-sqlite3', postgres: 'pg', docker: 'dockerode', process: undefined };
for (const subpath of Object.keys(SUBPATHS)) {
  await import(`@aetherlink/adapters/${subpath}`);
  require(`@aetherlink/adapters/${subpath}`);
}

async function expectMissing(peer, use) {
  try {
    await use();
  } catch (error) {
    if (error.code !== 'dependency_missing' || !error.message.includes(`npm install ${peer}`)) throw new Error(`expected the missing ${peer} to be named, got: ${error.message}`);
    return;
  }
  throw new Error(`using it without ${peer} did not fail`);
}
const { sqliteStores } = await import('@aetherlink/adapters/sqlite');
await expectMissing('better-sqlite3', () => sqliteStores({ path: ':memory:' }));
const { openPostgresStores } = await import('@aetherlink/adapters/postgres');
await expectMissing('pg', () => openPostgresStores({ connectionString: 'postgres://app@127.0.0.1:5432/app' }));
const { aetherlinkExpress } = await import('@aetherlink/adapters/express');
await expectMissing('express', () => aetherlinkExpress({ service: 'bare' }));
const { dockerRuntime } = await import('@aetherlink/adapters/docker');
await expectMissing('dockerode', () => dockerRuntime({ socketPath: '/nonexistent.sock' }).inspect('billing'));
// The CJS build finds (and misses) peers the same way.
await expectMissing('express', () => require('@aetherlink/adapters/express').aetherlinkExpress({ service: 'bare' }));
process.stdout.write('better-sqlite3, pg, express and dockerode named');
