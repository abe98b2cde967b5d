// What a stranger gets from npm, checked before anyone publishes: packs every published package with `pnpm pack`,
// checks each tarball (LICENSE, metadata, no workspace: ranges, dependencies that are imported and only those),
// installs the tarballs with npm into fresh projects outside the workspace, imports every entry point as ESM and
// CJS, uses them, checks that a missing optional peer is named, and runs `npx @aetherlink/command-center`.
// Run after `pnpm build` (`pnpm lint:pkg` does both). PACK_CHECK_KEEP=1 keeps the temp directory.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommandCenter } from './pack-check/command-center.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HERE = fileURLToPath(new URL('./pack-check/', import.meta.url));
// Every optional peer but better-sqlite3, which the command center brings (vitest is @aetherlink/core/testing's).
const PEERS = { express: '^5.0.0', fastify: '^5.0.0', pg: '^8.11.0', vitest: '^5.0.0' };
// A bare specifier (a package name, optionally a subpath) in an import, a dynamic import or a require; text that
// only looks like one (in a template string, say) has spaces or punctuation a package name cannot.
const SPEC = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']((?:@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*(?:\/[\w.~/-]*)?)["']/gm;
// Files served to browsers as they are (the dashboard's modules, the API page's viewer): not Node's imports.
const BROWSER_ASSETS = /^dist\/(dashboard|docs)\//;

let failures = 0;
const ok = (what) => console.log(`ok   ${what}`);
const fail = (what, why) => {
  failures++;
  console.error(`FAIL ${what}: ${why}`);
};
const check = (what, fn) => {
  try {
    const note = fn();
    ok(note ? `${what} (${note})` : what);
  } catch (error) {
    fail(what, error.message);
  }
};
const run = (cmd, args, cwd, env = {}) =>
  execFileSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });

const work = mkdtempSync(join(tmpdir(), 'aetherlink-pack-'));
if (!relative(ROOT, work).startsWith('..')) throw new Error(`the temp directory ${work} is inside the workspace; set TMPDIR elsewhere`);
const tarballs = join(work, 'tarballs');
mkdirSync(tarballs);

const packageDirs = [...readdirSync(join(ROOT, 'packages')).map((d) => join(ROOT, 'packages', d)), join(ROOT, 'examples', 'command-center')];
const packages = [];
for (const dir of packageDirs) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (pkg.private) continue;
  if (!existsSync(join(dir, 'dist'))) throw new Error(`${pkg.name} has no dist/: run pnpm build first`);
  const packed = JSON.parse(run('pnpm', ['pack', '--pack-destination', tarballs, '--json'], dir));
  const unpacked = join(work, 'unpacked', pkg.name.replace('/', '__'));
  mkdirSync(unpacked, { recursive: true });
  run('tar', ['-xzf', packed.filename, '-C', unpacked]);
  packages.push({ name: pkg.name, dir, tarball: packed.filename, files: packed.files.map((f) => f.path), root: join(unpacked, 'package') });
}
const LICENSE = readFileSync(join(ROOT, 'LICENSE'), 'utf8');

for (const p of packages) {
  const manifest = readManifest(p);
  check(`${p.name}: LICENSE, README and metadata`, () => {
    if (readFileSync(join(p.root, 'LICENSE'), 'utf8') !== LICENSE) throw new Error('LICENSE is missing or differs from the root LICENSE');
    if (!p.files.includes('README.md')) throw new Error('README.md is not in the tarball');
    if (manifest.license !== 'MIT') throw new Error(`license is ${manifest.license}`);
    for (const field of ['repository', 'homepage', 'keywords', 'description', 'engines']) if (!manifest[field]) throw new Error(`${field} is missing`);
    if (manifest.repository.directory !== relative(ROOT, p.dir)) throw new Error(`repository.directory is ${manifest.repository.directory}`);
    const ranges = JSON.stringify([manifest.dependencies, manifest.peerDependencies]);
    if (ranges.includes('workspace:')) throw new Error('a workspace: range was published');
    const stray = p.files.filter((f) => /\.test\.ts$|_fixtures\/|_testing\/|test-support\.ts$/.test(f));
    if (stray.length) throw new Error(`test files are published: ${stray.join(', ')}`);
  });
  check(`${p.name}: dependencies are what it imports`, () => {
    const used = importedPackages(p.root, p.files);
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const undeclared = [...used].filter((name) => !declared.has(name) && name !== manifest.name);
    if (undeclared.length) throw new Error(`imported but not declared: ${undeclared.join(', ')}`);
    // A dependency may be there for a dependency's optional peer (the command center brings better-sqlite3 and pg
    // for @aetherlink/adapters).
    const peersOfDeps = new Set(packages.filter((q) => manifest.dependencies?.[q.name]).flatMap((q) => Object.keys(readManifest(q).peerDependencies ?? {})));
    const unused = Object.keys(manifest.dependencies ?? {}).filter((name) => !used.has(name) && !peersOfDeps.has(name));
    if (unused.length) throw new Error(`declared but never imported (bundled, or not needed?): ${unused.join(', ')}`);
    return `${used.size} imported`;
  });
}

function readManifest(p) {
  return JSON.parse(readFileSync(join(p.root, 'package.json'), 'utf8'));
}

/** The packages a package's shipped JavaScript and declarations import (node: builtins left out). */
function importedPackages(root, files) {
  const used = new Set();
  for (const file of files.filter((f) => /^dist\/.*\.(c?js|mjs|d\.c?ts)$/.test(f) && !BROWSER_ASSETS.test(f))) {
    for (const [, spec] of readFileSync(join(root, file), 'utf8').matchAll(SPEC)) {
      if (isBuiltin(spec)) continue;
      used.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
    }
  }
  return used;
}

/** A fresh npm project in the temp directory with these dependencies, installed; returns its directory. */
function project(name, dependencies) {
  const dir = join(work, name);
  mkdirSync(dir);
  // The tarballs depend on each other by version; overrides point those at the tarballs too (nothing is on npm).
  const overrides = Object.fromEntries(packages.map((p) => [p.name, `file:${p.tarball}`]));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'commonjs', dependencies, overrides }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], dir);
  for (const file of readdirSync(HERE)) cpSync(join(HERE, file), join(dir, file));
  return dir;
}

const all = Object.fromEntries(packages.map((p) => [p.name, `file:${p.tarball}`]));
let full;
check('npm install of every tarball and the optional peers into a fresh project', () => {
  full = project('full', { ...all, ...PEERS });
  return relative(tmpdir(), full);
});
if (full) {
  check('every entry point imports as ESM and requires as CJS, with the same names', () => run(process.execPath, ['imports.mjs', ...packages.map((p) => p.name)], full).trim());
  check('the installed packages work: SQLite stores, Express and Fastify adapters, the event bus', () => run(process.execPath, ['use.mjs'], full).trim());
  await runCommandCenter(full, { ok, fail, run });
}

check('without its optional peers, @aetherlink/adapters imports and names the package to install', () => {
  const bare = project('bare', { '@aetherlink/core': all['@aetherlink/core'], '@aetherlink/adapters': all['@aetherlink/adapters'] });
  return run(process.execPath, ['bare.mjs'], bare).trim();
});

if (process.env.PACK_CHECK_KEEP) console.log(`kept ${work}`);
else rmSync(work, { recursive: true, force: true });
if (failures) {
  console.error(`${failures} packing check(s) failed`);
  process.exit(1);
}
