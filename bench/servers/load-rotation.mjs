// The load generator for comparisons between servers that all run at once: it loads one at a time, in short
// windows, rotating through them cycle after cycle, so that whatever the machine does meanwhile (another VM on
// the host, a slow minute) falls on neighbouring windows of every server alike. One long-lived process with
// autocannon's API: no process start between windows.
// TARGETS: JSON list of { name, url, method?, body?, headers? }; WINDOW_SEC, CYCLES, CONNECTIONS, WARMUP_SEC.
// Prints one JSON line: { <name>: { rps: [...per cycle], p99_ms: [...], errors, non2xx } }.
import autocannon from 'autocannon';

const targets = JSON.parse(process.env.TARGETS ?? '[]');
const windowSec = Number(process.env.WINDOW_SEC ?? 2);
const cycles = Number(process.env.CYCLES ?? 12);
const connections = Number(process.env.CONNECTIONS ?? 100);
const warmupSec = Number(process.env.WARMUP_SEC ?? 2);

const load = (t, duration) =>
  autocannon({ url: t.url, method: t.method ?? 'GET', body: t.body, headers: t.headers ?? {}, connections, duration });

const out = Object.fromEntries(targets.map((t) => [t.name, { rps: [], p99_ms: [], errors: 0, non2xx: 0 }]));
for (const t of targets) await load(t, warmupSec);
for (let cycle = 0; cycle < cycles; cycle++) {
  for (let k = 0; k < targets.length; k++) {
    const t = targets[(k + cycle) % targets.length];
    const r = await load(t, windowSec);
    const o = out[t.name];
    o.rps.push(r.requests.total / windowSec);
    o.p99_ms.push(r.latency.p99);
    o.errors += r.errors;
    o.non2xx += r.non2xx;
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
