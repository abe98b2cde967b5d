// Run inside the fresh project: imports every entry point of the named packages as ESM and requires it as CJS
// (where the package offers CJS), resolved by package name through each package's own `exports`.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const lines = [];
for (const name of process.argv.slice(2)) {
  const pkg = JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8'));
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== 'object') continue;
    const spec = `${name}${subpath.slice(1)}`;
    const esm = Object.keys(await import(spec)).sort();
    if (!esm.length) throw new Error(`${spec} exports nothing as ESM`);
    if (!target.require) {
      lines.push(`${spec}: ${esm.length} ESM`);
      continue;
    }
    const cjs = Object.keys(require(spec)).filter((k) => k !== '__esModule').sort();
    if (esm.join() !== cjs.join()) throw new Error(`${spec}: ESM and CJS export different names`);
    lines.push(`${spec}: ${esm.length} ESM+CJS`);
  }
}
process.stdout.write(`${lines.length} entry points`);
