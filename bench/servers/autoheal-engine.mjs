// The engine side of the auto-heal benchmark, on the BUILT packages with plain node. MODE=detect induces faults on
// distinct services and times fault → restart call; MODE=storm fails 100 of 1000 at once under the default caps;
// MODE=scale times one round at 10, 100 and 1000 services beside a hand-written poll-and-restart loop and the
// registry checker's pass. Prints one JSON line.
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

/**
 * The peer a person writes by hand (what docker-autoheal does): GET every health URL on a keep-alive agent at the
 * same concurrency, count failures in a row, call restart at three. No state kept anywhere, no caps, no verify.
 */
function pollAndRestartLoop(urls, runtime, concurrency) {
  const loopAgent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const failures = new Map();
  const ok = (url) =>
    new Promise((resolve) => {
      const req = request(url, { agent: loopAgent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode >= 200 && res.statusCode < 300));
        res.on('error', () => resolve(false));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  return {
    async pass() {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(concurrency, urls.length) }, async () => {
          while (next < urls.length) {
            const i = next++;
            const n = (await ok(urls[i])) ? 0 : (failures.get(i) ?? 0) + 1;
            failures.set(i, n);
            if (n === 3) await runtime.restart(String(i));
          }
        }),
      );
    },
    close: () => loopAgent.destroy(),
  };
}

/**
 * One round's cost as the fleet grows: for each size, the engine's round, the hand-written loop's pass and the
 * registry checker's pass over the same healthy endpoints, alternating round by round; the heap the engine keeps.
 */
async function scale() {
  const rounds = Number(process.env.ROUNDS ?? 5);
  const concurrency = Number(process.env.CONCURRENCY ?? 64);
  const sizes = (process.env.SIZES ?? '10,100,1000').split(',').map(Number);
  const out = [];
  // A healthy fleet: the modes an earlier run left behind are cleared.
  for (let i = 0; i < Math.max(...sizes); i += 64) await Promise.all(Array.from({ length: 64 }, (_, k) => control(i + k, 'ok')));
  for (const n of sizes) {
    let restarts = 0;
    let loopRestarts = 0;
    const runtime = benchRuntime(() => restarts++);
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const healer = createAutoHealer({ runtime, targets: targets(n), documents: memoryDocumentStore(), history: memoryHealHistoryStore(), logger: silentLogger, policy: { checkConcurrency: concurrency, startGraceMs: 0 } });
    await healer.runRound();
    globalThis.gc?.();
    // With --expose-gc the heap is measured after a collection: what the engine keeps, not what it left for the GC.
    const heapKept = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const loop = pollAndRestartLoop(targets(n).map((t) => t.checks[0].url), benchRuntime(() => loopRestarts++), concurrency);
    const registry = createRegistry({ logger: silentLogger });
    for (let i = 0; i < n; i++) await registry.register({ name: `svc-${i}`, url: `${base}/svc/${i}`, health_url: `${base}/svc/${i}/ping` });
    const checker = createHealthChecker({ registry, concurrency, timeoutMs: 5000, logger: silentLogger });
    const variants = { engine: () => healer.runRound(), loop: () => loop.pass(), registry: () => checker.checkAll() };
    const times = { engine: [], loop: [], registry: [] };
    await loop.pass();
    await checker.checkAll();
    const names = Object.keys(variants);
    for (let r = 0; r < rounds; r++) {
      // A different variant goes first each round, so none always runs on a cold or a warm machine.
      for (let k = 0; k < names.length; k++) {
        const name = names[(r + k) % names.length];
        const t = performance.now();
        await variants[name]();
        times[name].push(performance.now() - t);
      }
    }
    await healer.close();
    await checker.close();
    loop.close();
    out.push({ targets: n, engine_ms: times.engine, loop_ms: times.loop, registry_ms: times.registry, heap_kept_mb: heapKept, restarts, loop_restarts: loopRestarts });
  }
  return { rounds, concurrency, sizes: out, rss_mb: process.memoryUsage().rss / 2 ** 20 };
}

const result = mode === 'detect' ? await detect() : mode === 'storm' ? await storm() : await scale();
agent.destroy();
process.stdout.write(`${JSON.stringify({ mode, ...result })}\n`);
process.exit(0);
