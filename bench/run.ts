// `pnpm bench [name ...]`: runs each bench/*.bench.ts, writes bench/results/<name>.json and prints a table.
import { readdirSync } from 'node:fs';
import { BENCH_DIR, passed, printTable, writeReport, type BenchReport } from './lib/harness.js';

const wanted = process.argv.slice(2);
const files = readdirSync(BENCH_DIR)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

let failed = 0;
for (const file of files) {
  const mod = (await import(`${BENCH_DIR}${file}`)) as { default: () => Promise<BenchReport> };
  console.log(`\n▶ ${file}`);
  const report = await mod.default();
  const out = writeReport(report);
  console.log(report.description);
  printTable(report.rows);
  console.log('');
  printTable(
    report.ratios.map((r) => ({
      ratio: r.label,
      value: r.value,
      target: r.min !== undefined ? `>= ${r.min}` : `<= ${r.max}`,
      result: passed(r) ? 'PASS' : 'MISS',
    })),
  );
  failed += report.ratios.filter((r) => !passed(r)).length;
  console.log(`→ ${out}`);
}
if (failed) console.log(`\n${failed} target(s) missed.`);
