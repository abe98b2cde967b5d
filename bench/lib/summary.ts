import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { RESULTS_DIR, targetOf, type Ratio } from './harness.js';

interface StoredReport {
  name: string;
  description: string;
  ratios: (Ratio & { pass: boolean })[];
  info?: { label: string; value: number; baseline?: string }[];
  ran_at: string;
  node: string;
  cpu: string;
  memory_gb?: number;
  os?: string;
  load_average?: { before: number[]; after: number[] };
}

const cell = (text: string) => text.replace(/\|/g, '\\|');
const num = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString()) : '–');
const load = (l?: number[]) => (l ? l.map((x) => x.toFixed(2)).join(' / ') : '–');

/**
 * Writes `bench/results/summary.md` from every `bench/results/<name>.json`: each figure beside what it was
 * measured against, its target, pass or short, and the machine and its load when each benchmark ran.
 * @example writeSummary()
 */
export function writeSummary(): string {
  const reports = readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(`${RESULTS_DIR}/${f}`, 'utf8')) as StoredReport)
    .sort((a, b) => a.name.localeCompare(b.name));
  const targets = reports.flatMap((r) => r.ratios);
  const short = targets.filter((r) => !r.pass);
  const lines = [
    '# Benchmark summary',
    '',
    `Written ${new Date().toISOString()} by \`pnpm bench\` from bench/results/*.json. ${targets.length - short.length} of ${targets.length} targets met` +
      (short.length ? `; short: ${short.map((r) => `"${r.label}"`).join(', ')}.` : '.'),
    'Every figure is measured in the same run as the baseline beside it; compare figures only within one benchmark run.',
    '',
    '## Machines',
    '',
    '| benchmark | ran at | machine | node | load average 1 / 5 / 15 min, before → after |',
    '|---|---|---|---|---|',
    ...reports.map((r) => `| ${r.name} | ${r.ran_at} | ${cell(r.cpu)}${r.memory_gb ? `, ${r.memory_gb} GB` : ''}${r.os ? `, ${r.os}` : ''} | ${r.node} | ${load(r.load_average?.before)} → ${load(r.load_average?.after)} |`),
  ];
  for (const r of reports) {
    lines.push('', `## ${r.name}`, '', cell(r.description), '', '| figure | value | measured against | target | result |', '|---|---|---|---|---|');
    for (const ratio of r.ratios) lines.push(`| ${cell(ratio.label)} | ${num(ratio.value)} | ${cell(ratio.baseline ?? '–')} | ${cell(targetOf(ratio))} | ${ratio.pass ? 'pass' : '**short**'} |`);
    for (const i of r.info ?? []) lines.push(`| ${cell(i.label)} | ${num(i.value)} | ${cell(i.baseline ?? '–')} | – | info |`);
  }
  const file = `${RESULTS_DIR}/summary.md`;
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
