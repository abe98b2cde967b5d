// The load side of the registry benchmark, on the BUILT package with plain node. MODE=checker probes a registry
// of SERVICES services through createHealthChecker; MODE=bare is a node:http keep-alive loop with the same
// concurrency against the same server, the baseline. Prints one JSON line with its figures.
import { Agent, request } from 'node:http';
import { createHealthChecker, createRegistry } from '@aetherlink/registry';

const mode = process.env.MODE ?? 'checker';
const base = process.env.URL;
const concurrency = Number(process.env.CONCURRENCY ?? 64);
const services = Number(process.env.SERVICES ?? 1024);
const durationMs = Number(process.env.DURATION_MS ?? 5000);
const warmupMs = Number(process.env.WARMUP_MS ?? 1000);
if (!base) throw new Error('URL is required');

const pathOf = (i) => `/svc/${i}/ping`;

async function checker() {
  const registry = createRegistry();
  for (let i = 0; i < services; i++) {
    // Every condition kind is exercised: status range, response time and a JSON body path.
    await registry.register({ name: `svc-${i}`, url: `${base}/svc/${i}`, check: { status: '200-299', max_latency_ms: 2000, body_path: 'status', body_ok: ['ok'] } });
  }
  const health = createHealthChecker({ registry, concurrency, timeoutMs: 5000 });
  const failures = new Map();
  const run = async (untilMs, count) => {
    let probes = 0;
    while (performance.now() < untilMs) {
      const report = await health.checkAll();
      probes += report.services.length;
      if (count) {
        for (const s of report.services) {
          if (s.status !== 'ok') failures.set(s.error ?? s.status, (failures.get(s.error ?? s.status) ?? 0) + 1);
        }
      }
    }
    return probes;
  };
  await run(performance.now() + warmupMs, false);
  const started = performance.now();
  const probes = await run(started + durationMs, true);
  const elapsed = (performance.now() - started) / 1000;
  await health.close();
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  return { probes, seconds: elapsed, failures: failed, failure_reasons: Object.fromEntries(failures) };
}

async function bare() {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const once = (path) =>
    new Promise((resolve) => {
      const req = request(`${base}${path}`, { agent, headers: { accept: 'application/json' } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(res.statusCode === 200 && JSON.parse(Buffer.concat(chunks).toString()).status === 'ok');
          } catch {
            resolve(false);
          }
        });
        res.on('error', () => resolve(false));
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  let failures = 0;
  const run = async (untilMs, count) => {
    let probes = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < untilMs) {
          const ok = await once(pathOf(next++ % services));
          probes++;
          if (!ok && count) failures++;
        }
      }),
    );
    return probes;
  };
  await run(performance.now() + warmupMs, false);
  const started = performance.now();
  const probes = await run(started + durationMs, true);
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return { probes, seconds: elapsed, failures, failure_reasons: {} };
}

const result = mode === 'bare' ? await bare() : await checker();
process.stdout.write(`${JSON.stringify({ mode, ...result, per_second: result.probes / result.seconds })}\n`);
