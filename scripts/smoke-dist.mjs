// Loads every built entry point of every package, as ESM and as CJS, without the source condition:
// what a user gets from npm. Run after `pnpm build`.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);
let failures = 0;
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', dir);
  const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== 'object') continue;
    const name = `${pkg.name}${subpath.slice(1)}`;
    const esmFile = target.import?.default ?? target.default;
    try {
      const esm = await import(pathToFileURL(join(pkgDir, esmFile)).href);
      if (!target.require) {
        console.log(`ok   ${name} (${Object.keys(esm).length} exports, ESM only)`);
        continue;
      }
      const cjs = require(join(pkgDir, target.require.default));
      const keys = Object.keys(esm).sort().join(',');
      if (keys !== Object.keys(cjs).filter((k) => k !== '__esModule').sort().join(',')) throw new Error('ESM and CJS export different names');
      if (!keys) throw new Error('exports nothing');
      console.log(`ok   ${name} (${Object.keys(esm).length} exports)`);
    } catch (error) {
      failures++;
      console.error(`FAIL ${name}: ${error.message}`);
    }
  }
}
process.exit(failures ? 1 : 0);
