// Writes the generated parts of the READMEs: the configuration table, from the command center's config schema,
// between <!-- config-table:start --> and <!-- config-table:end -->. `--check` changes nothing and exits 1 when a
// README is stale (test/readme.test.ts runs the same check).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { markdownTable } from '../examples/command-center/src/config-docs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The READMEs that carry the table. */
export const GENERATED_READMES = ['README.md', 'examples/command-center/README.md'];

const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

/**
 * The README text with its generated parts rewritten.
 * @example withGeneratedParts(readFileSync('README.md', 'utf8'))
 */
export function withGeneratedParts(text: string): string {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`the README has no ${START} … ${END} markers`);
  return `${text.slice(0, start + START.length)}\n${markdownTable()}\n${text.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const file of GENERATED_READMES) {
    const path = `${ROOT}${file}`;
    const before = readFileSync(path, 'utf8');
    const after = withGeneratedParts(before);
    if (before === after) continue;
    stale++;
    if (check) process.stderr.write(`${file} is stale: run pnpm readme\n`);
    else writeFileSync(path, after), process.stdout.write(`wrote ${file}\n`);
  }
  if (check && stale) process.exit(1);
}
