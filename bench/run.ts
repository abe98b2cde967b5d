// `pnpm bench [name ...] [--explore]`: runs each bench/*.bench.ts, writes bench/results/<name>.json and prints a
// table, then writes bench/results/summary.md from every result there. Exits 1 when a target is missed or a benchmark fails; `--explore` (or BENCH_EXPLORE=1) reports missed
// targets without failing, for trying settings out. A benchmark that fails to run always fails the command.
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { BENCH_DIR, passed, printTable, targetOf, vacuousTarget, writeReport, type BenchReport } from './lib/harness.js';
import { writeSummary } from './lib/summary.js';

const args = process.argv.slice(2);
const explore = args.includes('--explore') || /^(1|true|yes)$/i.test(process.env.BENCH_EXPLORE ?? '');
const unknown = args.filter((a) => a.startsWith('--') && a !== '--explore');
if (unknown.length) {
  console.error(`unknown option ${unknown.join(', ')}; usage: pnpm bench [name ...] [--explore]`);
  process.exit(2);
}
const wanted = args.filter((a) => !a.startsWith('--'));
const all = readdirSync(BENCH_DIR).filter((f) => f.endsWith('.bench.ts')).sort();
const files = all.filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)));
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ')}; there are: ${all.map((f) => f.replace('.bench.ts', '')).join(', ')}`);
  process.exit(2);
}

const missed: string[] = [];
const broken: string[] = [];
for (const file of files) {
  console.log(`\n▶ ${file}`);
  const loadBefore = loadavg();
  let report: BenchReport;
  try {
    const mod = (await import(`${BENCH_DIR}${file}`)) as { default: () => Promise<BenchReport> };
    report = await mod.default();
  } catch (error) {
    console.error(`✗ ${file} did not run to the end: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    broken.push(file);
    continue;
  }
  const vacuous = report.ratios.flatMap((r) => {
    const why = vacuousTarget(r);
    return why ? [`${report.name}: "${r.label}": ${why}; report it under info`] : [];
  });
  if (vacuous.length) {
    console.error(vacuous.map((v) => `✗ ${v}`).join('\n'));
    broken.push(file);
    continue;
  }
  const out = writeReport(report, loadBefore);
  console.log(report.description);
  printTable(report.rows);
  console.log('');
  printTable([
    ...report.ratios.map((r) => ({ ratio: r.label, value: r.value, target: targetOf(r), result: passed(r) ? 'PASS' : 'MISS' })),
    ...(report.info ?? []).map((i) => ({ ratio: i.label, value: i.value, target: '–', result: 'info' })),
  ]);
  for (const r of report.ratios) if (!passed(r)) missed.push(`${report.name}: ${r.label} = ${Number(r.value.toFixed(3))} (target ${targetOf(r)})`);
  console.log(`→ ${out}`);
}

console.log(`\n→ ${writeSummary()}`);
if (missed.length) console.log(`\n${missed.length} target(s) missed:\n${missed.map((m) => `  ${m}`).join('\n')}`);
if (broken.length) console.error(`\n${broken.length} benchmark(s) did not run: ${broken.join(', ')}`);
if (missed.length && explore) console.log('(--explore: missed targets do not fail the run)');
process.exitCode = broken.length || (missed.length && !explore) ? 1 : 0;
