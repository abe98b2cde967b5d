// Latency of requests, one at a time per lane over keep-alive, measured to the last byte of the body with
// sub-millisecond resolution (autocannon reports whole milliseconds). TARGETS is a JSON list of
// { name, url, method?, body? }; each is asked COUNT times, interleaved, after WARMUP rounds. HEADERS is JSON. In a
// body, {i} is the request's number and {now} the wall-clock time it is sent, in ms with a fraction.
// Prints one JSON line: { <name>: { p50_ms, p99_ms, n, failed, warmup? } }, where `warmup` (with WARMUP > 0) is the
// same figures over the warm-up requests, which the others leave out.
import { Agent, request } from 'node:http';

const targets = JSON.parse(process.env.TARGETS ?? '[]');
const headers = JSON.parse(process.env.HEADERS ?? '{}');
const count = Number(process.env.COUNT ?? 200);
const warmup = Number(process.env.WARMUP ?? 20);
const lanes = Number(process.env.LANES ?? 1);
// With INTERVAL_MS, request i (of all lanes together) starts no earlier than i × INTERVAL_MS: a steady rate.
const interval = Number(process.env.INTERVAL_MS ?? 0);
const begun = performance.now();
const pace = async (i) => {
  const wait = begun + i * interval - performance.now();
  if (interval > 0 && wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
};
const agent = new Agent({ keepAlive: true, maxSockets: lanes });

const once = (t, i) =>
  new Promise((resolve) => {
    const body = t.body?.replaceAll('{i}', String(i)).replace('{now}', String(performance.timeOrigin + performance.now()));
    const started = process.hrtime.bigint();
    const req = request(t.url, { agent, method: t.method ?? 'GET', headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, ok: res.statusCode >= 200 && res.statusCode < 300 }));
    });
    req.on('error', () => resolve({ ms: 0, ok: false }));
    req.end(body);
  });

const samples = Object.fromEntries(targets.map((t) => [t.name, []]));
const warm = Object.fromEntries(targets.map((t) => [t.name, []]));
const failed = Object.fromEntries(targets.map((t) => [t.name, 0]));
let next = 0;
const lane = async () => {
  for (let i = next++; i < warmup + count; i = next++) {
    await pace(i);
    for (const t of targets) {
      const r = await once(t, i);
      if (!r.ok) failed[t.name]++;
      else (i >= warmup ? samples : warm)[t.name].push(r.ms);
    }
  }
};
await Promise.all(Array.from({ length: lanes }, lane));
const pct = (list, p) => {
  const s = [...list].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : Number.NaN;
};
const out = {};
const figures = (list) => ({ p50_ms: pct(list, 50), p99_ms: pct(list, 99), n: list.length });
for (const t of targets) out[t.name] = { ...figures(samples[t.name]), failed: failed[t.name], ...(warmup > 0 ? { warmup: figures(warm[t.name]) } : {}) };
agent.destroy();
process.stdout.write(`${JSON.stringify(out)}\n`);
