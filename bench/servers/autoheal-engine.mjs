// The engine side of the auto-heal benchmark, on the BUILT packages with plain node. MODE=detect induces faults on
// distinct services and times fault → restart call; MODE=storm fails 100 of 1000 at once under the default caps;
// MODE=round times one round over the whole fleet beside the registry checker's pass. Prints one JSON line.
import { Agent, request } from 'node:http';
import { autohealModule, createAutoHealer } from '@aetherlink/autoheal';
import { createModuleHost, memoryDocumentStore, memoryHealHistoryStore, silentLogger } from '@aetherlink/core';
import { createHealthChecker, createRegistry } from '@aetherlink/registry';

const mode = process.env.MODE;
const base = process.env.URL;
const fleet = Number(process.env.FLEET ?? 100);
if (!base) throw new Error('URL is required');

const agent = new Agent({ keepAlive: true, maxSockets: 8 });
const control = (i, m) =>
  new Promise((resolve, reject) => {
    const req = request(`${base}/control/${i}/${m}`, { method: 'POST', agent }, (res) => res.resume().on('end', resolve));
    req.on('error', reject);
    req.end();
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const targets = (n) => Array.from({ length: n }, (_, i) => ({ name: `svc-${i}`, runtimeId: String(i), startGraceMs: 0, checks: [{ kind: 'http', url: `${base}/svc/${i}/ping` }] }));

/** A runtime that "restarts" a service by bringing its endpoint back, and says when it was asked. */
function benchRuntime(onRestart) {
  return {
    kind: 'bench',
    inspect: async (id) => ({ id, state: 'running', startedAt: null, exitCode: null, stoppedByOperator: false, restartCount: null }),
    async restart(id) {
      onRestart(id, performance.now());
      await control(id, 'ok');
    },
  };
}

async function detect() {
  const faults = Number(process.env.FAULTS ?? 50);
  const parallel = Number(process.env.PARALLEL ?? 8);
  const waiting = new Map();
  const runtime = benchRuntime((id, at) => waiting.get(id)?.(at));
  const policy = { intervalMs: 1000, failureThreshold: 3, checkTimeoutMs: 500, caps: { concurrentRestarts: 50, restartsPerMinute: 1000 } };
  const module = autohealModule({ runtime, targets: targets(fleet), documents: memoryDocumentStore(), history: memoryHealHistoryStore(), logger: silentLogger, policy });
  const host = createModuleHost({ modules: [module], logger: silentLogger });
  await host.start();
  await sleep(2500);
  const kinds = ['error', 'hang', 'reset'];
  const samples = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < faults) {
        const i = next++;
        await sleep(Math.random() * 1000);
        const restarted = new Promise((resolve) => waiting.set(String(i), resolve));
        await control(i, kinds[i % kinds.length]);
        const faultAt = performance.now();
        const timeout = sleep(20_000).then(() => null);
        const at = await Promise.race([restarted, timeout]);
        waiting.delete(String(i));
        samples.push({ kind: kinds[i % kinds.length], ms: at === null ? null : at - faultAt });
      }
    }),
  );
  await host.close();
  return { samples, policy };
}

async function storm() {
  const seconds = Number(process.env.STORM_SECONDS ?? 20);
  const failing = Number(process.env.FAILING ?? 100);
  const starts = [];
  const history = memoryHealHistoryStore({ maxRecords: 10_000 });
  const runtime = benchRuntime((id, at) => starts.push({ id, at }));
  const module = autohealModule({ runtime, targets: targets(fleet), documents: memoryDocumentStore(), history, logger: silentLogger, policy: { intervalMs: 1000 } });
  const host = createModuleHost({ modules: [module], logger: silentLogger });
  await host.start();
  await sleep(1500);
  await Promise.all(Array.from({ length: failing }, (_, i) => control(i, 'error')));
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const records = await history.list({ limit: 10_000 });
  const status = await module.healer.status();
  await host.close();
  // Heals in flight at once, from each attempt's start to its outcome.
  const edges = records.filter((r) => r.started_at).flatMap((r) => [[Date.parse(r.started_at), 1], [Date.parse(r.started_at) + r.duration_ms, -1]]);
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let inFlight = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (inFlight += d));
  const times = starts.map((s) => s.at).sort((a, b) => a - b);
  let perMinute = 0;
  for (let i = 0; i < times.length; i++) perMinute = Math.max(perMinute, times.filter((t) => t >= times[i] && t < times[i] + 60_000).length);
  const healthyRestarted = starts.filter((s) => Number(s.id) >= failing).length;
  return { seconds, failing, restarts: starts.length, peak_concurrent: peak, max_per_minute: perMinute, healthy_restarted: healthyRestarted, fleet_guard: status.fleet_guard !== null, first_restart_ms: times.length ? times[0] - t0 : null };
}

async function round() {
  const rounds = Number(process.env.ROUNDS ?? 5);
  const concurrency = Number(process.env.CONCURRENCY ?? 64);
  // With --expose-gc the heap is measured after a collection: what the engine keeps, not what it left for the GC.
  globalThis.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const healer = createAutoHealer({ runtime: null, targets: targets(fleet), documents: memoryDocumentStore(), history: memoryHealHistoryStore(), logger: silentLogger, policy: { checkConcurrency: concurrency, startGraceMs: 0 } });
  await healer.runRound();
  const engine = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    await healer.runRound();
    engine.push(performance.now() - t);
  }
  globalThis.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const rss = process.memoryUsage().rss;
  await healer.close();
  const registry = createRegistry({ logger: silentLogger });
  for (let i = 0; i < fleet; i++) await registry.register({ name: `svc-${i}`, url: `${base}/svc/${i}`, health_url: `${base}/svc/${i}/ping` });
  const checker = createHealthChecker({ registry, concurrency, timeoutMs: 5000, logger: silentLogger });
  await checker.checkAll();
  const probes = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    await checker.checkAll();
    probes.push(performance.now() - t);
  }
  await checker.close();
  return { fleet, rounds, concurrency, engine_ms: engine, registry_ms: probes, heap_retained_mb: (heapAfter - heapBefore) / 2 ** 20, rss_mb: rss / 2 ** 20 };
}

const result = mode === 'detect' ? await detect() : mode === 'storm' ? await storm() : await round();
agent.destroy();
process.stdout.write(`${JSON.stringify({ mode, ...result })}\n`);
process.exit(0);
