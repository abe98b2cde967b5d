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

interface Soak {
  measured_at?: string;
  duration_s: number;
  requests: number;
  unexpected_errors: number;
  memory_mb: { rss_start: number; rss_end: number; heap_start: number; heap_end: number };
  event_loop_p99_ms: { start: number; end: number; max: number };
  routes?: Record<string, { count: number; p50_ms: number; p99_ms: number }>;
}

/** The last `pnpm soak` (or the test run's short soak): memory and latency at start and end. */
function soakLines(s: Soak): string[] {
  return [
    '## soak',
    '',
    `The last \`pnpm soak\` record (bench/results/soak.json${s.measured_at ? `, ${s.measured_at}` : ''}): ${s.duration_s} s of mixed load, ${s.requests.toLocaleString('en-US')} requests, ${s.unexpected_errors} unexpected errors.`,
    '',
    '| figure | start | end |',
    '|---|---|---|',
    `| RSS (MB) | ${s.memory_mb.rss_start} | ${s.memory_mb.rss_end} |`,
    `| heap used (MB) | ${s.memory_mb.heap_start} | ${s.memory_mb.heap_end} |`,
    `| event-loop delay p99 (ms) | ${s.event_loop_p99_ms.start} | ${s.event_loop_p99_ms.end} |`,
    ...Object.entries(s.routes ?? {}).map(([route, r]) => `| ${cell(route)} p50 / p99 (ms), ${r.count.toLocaleString('en-US')} requests | – | ${r.p50_ms} / ${r.p99_ms} |`),
  ];
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
  const files = readdirSync(RESULTS_DIR).filter((f) => f.endsWith('.json'));
  const parsed = files.map((f) => [f, JSON.parse(readFileSync(`${RESULTS_DIR}/${f}`, 'utf8')) as unknown] as const);
  // soak.json (`pnpm soak`) is a record of its own shape, summarised apart; every other file is a benchmark's report.
  const reports = parsed
    .filter(([f, r]) => f !== 'soak.json' && typeof (r as StoredReport).name === 'string' && Array.isArray((r as StoredReport).ratios))
    .map(([, r]) => r as StoredReport)
    .sort((a, b) => a.name.localeCompare(b.name));
  const soak = parsed.find(([f]) => f === 'soak.json')?.[1] as Soak | undefined;
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
  if (soak) lines.push('', ...soakLines(soak));
  const file = `${RESULTS_DIR}/summary.md`;
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}
