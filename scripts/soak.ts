// `pnpm soak [duration]` — the long soak of issue #17 (default 1h): the reference server under mixed load, its
// memory, event-loop delay and per-route latency sampled; figures printed and written to bench/results/soak.json.
// Durations: 90s, 15m, 1h. Exits 1 when a bound of SOAK_BOUNDS was broken.
import { runSoak, SOAK_RESULTS, writeSoakResults } from '../examples/command-center/test/hardening/soak.js';

const arg = process.argv[2] ?? '1h';
const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(arg);
if (!match) {
  process.stderr.write(`usage: pnpm soak [duration], e.g. 90s, 15m, 1h (got "${arg}")\n`);
  process.exit(2);
}
const durationMs = Number(match[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
const figures = await runSoak({ durationMs, log: (line) => process.stdout.write(`${line}\n`) });
writeSoakResults(figures);
process.stdout.write(`${JSON.stringify(figures, null, 2)}\nwritten to ${SOAK_RESULTS}\n`);
process.exit(figures.failures.length === 0 ? 0 : 1);
