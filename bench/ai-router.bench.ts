import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startProcess, type BenchReport } from './lib/harness.js';

// Types from source, code from the build: `pnpm bench` builds first, and the type check needs no dist.
type AiRouter = typeof import('../packages/ai-router/src/index.js');
type Router = import('../packages/ai-router/src/index.js').Router;
type ChatRequest = import('../packages/ai-router/src/index.js').ChatRequest;
type Part = { rows: BenchReport['rows']; ratios: BenchReport['ratios'] };

const BLOCKS = Number(process.env.BENCH_AI_BLOCKS ?? 100);
const FAILOVER_CALLS = Number(process.env.BENCH_AI_FAILOVER_CALLS ?? 1000);
const STORM = Number(process.env.BENCH_AI_STORM ?? 50_000);
const PRIMARY_TIMEOUT_MS = 250;
const VOLUME = 5;

const request: ChatRequest = { messages: [{ role: 'user', content: 'hello' }] };
const noop = () => undefined;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function quantile(sorted: Float64Array | number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
const sortedCopy = (a: ArrayLike<number>) => Float64Array.from(a).sort();
const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const nowNs = () => process.hrtime.bigint();

/** Router overhead: the same provider function called through the router and directly, interleaved. */
async function overhead(ai: AiRouter): Promise<Part> {
  const answer = { text: 'ok' };
  const fn = async (_request: ChatRequest, _context: unknown) => answer;
  const lead = { text: '{"intent":"billing","confidence":0.9}' };
  const classify = async () => lead;
  const ctx = { signal: new AbortController().signal, timeoutMs: 30_000 };
  const router = ai.createRouter({ providers: { p: fn } });
  const intentRouter = ai.createRouter({ providers: { p: classify } });
  const BLOCK = 1000;
  const direct = new Float64Array(BLOCK * BLOCKS);
  const routed = new Float64Array(BLOCK * BLOCKS);
  const intent = new Float64Array(BLOCK * BLOCKS);
  for (let i = 0; i < 20_000; i++) {
    await fn(request, ctx);
    await router.chat(request);
    await intentRouter.run('classify-intent', 'my invoice is wrong');
  }
  let k = 0;
  for (let b = 0; b < BLOCKS; b++) {
    const start = k;
    for (const variant of b % 2 ? ['routed', 'direct', 'intent'] : ['direct', 'routed', 'intent']) {
      k = start;
      for (let i = 0; i < BLOCK; i++, k++) {
        const t0 = nowNs();
        if (variant === 'direct') {
          await fn(request, ctx);
          direct[k] = Number(nowNs() - t0) / 1000;
        } else if (variant === 'routed') {
          await router.chat(request);
          routed[k] = Number(nowNs() - t0) / 1000;
        } else {
          await intentRouter.run('classify-intent', 'my invoice is wrong');
          intent[k] = Number(nowNs() - t0) / 1000;
        }
      }
    }
  }
  router.close();
  intentRouter.close();
  const d = sortedCopy(direct);
  const r = sortedCopy(routed);
  const n = sortedCopy(intent);
  return {
    rows: [
      { part: 'overhead', variant: 'provider function, direct', calls: d.length, 'p50 µs': round(quantile(d, 0.5)), 'p99 µs': round(quantile(d, 0.99)) },
      { part: 'overhead', variant: 'router.chat() → same function', calls: r.length, 'p50 µs': round(quantile(r, 0.5)), 'p99 µs': round(quantile(r, 0.99)) },
      { part: 'overhead', variant: "router.run('classify-intent') (zod in + out)", calls: n.length, 'p50 µs': round(quantile(n, 0.5)), 'p99 µs': round(quantile(n, 0.99)) },
    ],
    ratios: [
      { label: 'router overhead per call, p50 (µs, router − direct)', value: round(quantile(r, 0.5) - quantile(d, 0.5)), max: 10 },
      { label: 'router overhead per call, p99 (µs, router − direct)', value: round(quantile(r, 0.99) - quantile(d, 0.99)), max: 50 },
    ],
  };
}

/** Calls `fn` `total` times with `concurrency` in flight and returns each call's latency in ms. */
async function timed(fn: () => Promise<unknown>, total: number, concurrency: number): Promise<number[]> {
  const out: number[] = [];
  let left = total;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left--;
        const t0 = performance.now();
        await fn();
        out.push(performance.now() - t0);
      }
    }),
  );
  return out;
}

/** Failover: primary hangs, secondary answers in 20 ms, fake providers in their own process. */
async function failover(ai: AiRouter): Promise<Part> {
  const server = await startProcess('servers/ai-fake-providers.ts', {});
  const set = (id: string, modes: unknown[]) => fetch(`${server.url}/_control/${id}`, { method: 'POST', body: JSON.stringify(modes) });
  const hits = async (id: string) => ((await (await fetch(`${server.url}/_control/${id}`)).json()) as { hits: number }).hits;
  let router: Router | undefined;
  try {
    await set('primary', [{ kind: 'hang' }]);
    await set('secondary', [{ kind: 'ok', text: 'ok', delayMs: 20 }]);
    // Real timers, with a clock the bench can move forward to reach the reset time without waiting for it.
    let offset = 0;
    const clock = { now: () => Date.now() + offset, setTimeout: (cb: () => void, ms: number) => setTimeout(cb, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
    const primary = ai.anthropicProvider({ baseUrl: `${server.url}/p/primary`, apiKey: 'k', env: {} });
    const secondary = ai.openaiProvider({ baseUrl: `${server.url}/p/secondary/v1`, apiKey: 'k', env: {} });
    router = ai.createRouter({
      providers: { primary, secondary },
      clock,
      defaults: { retries: 0, timeoutMs: PRIMARY_TIMEOUT_MS, breaker: { volumeThreshold: VOLUME, errorThresholdPercentage: 50, resetTimeoutMs: 600_000 } },
    });
    const r = router;

    let paid = 0;
    let before = 0;
    while (r.health().primary?.breaker !== 'open' && before < 100) {
      const result = await r.chat(request);
      before++;
      if (result.attempts.some((a) => a.provider === 'primary' && a.kind === 'timeout')) paid++;
    }

    const direct = () => secondary.chat(request, { signal: new AbortController().signal, timeoutMs: 30_000 });
    await timed(direct, 100, 10);
    await timed(() => r.chat(request), 100, 10);
    // Paired rounds, order alternating; the target is the median of the per-round p99 ratios, which resists the
    // stalls of a shared machine better than one ratio of two p99s (both are reported).
    const routed: number[] = [];
    const baseline: number[] = [];
    const paired: number[] = [];
    const rounds = 10;
    const share = Math.ceil(FAILOVER_CALLS / rounds);
    for (let round = 0; round < rounds; round++) {
      let a: number[];
      let b: number[];
      if (round % 2) {
        a = await timed(() => r.chat(request), share, 10);
        b = await timed(direct, share, 10);
      } else {
        b = await timed(direct, share, 10);
        a = await timed(() => r.chat(request), share, 10);
      }
      routed.push(...a);
      baseline.push(...b);
      paired.push(quantile(sortedCopy(a), 0.99) / quantile(sortedCopy(b), 0.99));
    }
    paired.sort((x, y) => x - y);
    const primaryHitsWhileOpen = (await hits('primary')) - paid;

    offset += 600_000;
    const atHalfOpen = await hits('primary');
    const stampede = await Promise.all(Array.from({ length: 100 }, () => r.chat(request)));
    const reached = (await hits('primary')) - atHalfOpen;
    const servedBySecondary = stampede.filter((x) => x.used_provider === 'secondary').length;

    const rs = sortedCopy(routed);
    const bs = sortedCopy(baseline);
    return {
      rows: [
        { part: 'failover', variant: `secondary called directly (20 ms server delay, 10 in flight)`, calls: bs.length, 'p50 ms': round(quantile(bs, 0.5)), 'p99 ms': round(quantile(bs, 0.99)) },
        { part: 'failover', variant: 'router, primary hanging, breaker open', calls: rs.length, 'p50 ms': round(quantile(rs, 0.5)), 'p99 ms': round(quantile(rs, 0.99)), 'p99 / direct p99 (all calls)': round(quantile(rs, 0.99) / quantile(bs, 0.99), 3) },
        { part: 'failover', variant: `calls that paid the primary's ${PRIMARY_TIMEOUT_MS} ms timeout before the breaker opened`, calls: before, paid, 'volume threshold': VOLUME },
        { part: 'failover', variant: 'primary requests while the breaker was open', calls: rs.length, hits: primaryHitsWhileOpen },
        { part: 'failover', variant: '100 concurrent callers while half-open', calls: 100, 'reached primary': reached, 'served by secondary': servedBySecondary },
      ],
      ratios: [
        { label: 'failover p99 after the breaker opened / secondary direct p99 (median of 10 paired rounds)', value: round((paired[4]! + paired[5]!) / 2, 3), max: 1.1 },
        { label: `calls that paid the primary timeout / volume threshold (${VOLUME})`, value: round(paid / VOLUME, 3), max: 1 },
        { label: 'primary requests while open', value: primaryHitsWhileOpen, max: 0 },
        { label: 'half-open: |callers that reached the primary − 1| of 100 concurrent', value: Math.abs(reached - 1), max: 0 },
      ],
    };
  } finally {
    router?.close();
    await server.stop();
  }
}

/** Median µs per call of `count` calls. */
async function medianOf(call: () => Promise<unknown>, count: number): Promise<number> {
  const buf = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const t0 = nowNs();
    await call();
    buf[i] = Number(nowNs() - t0) / 1000;
  }
  return quantile(sortedCopy(buf), 0.5);
}

/** Failure storm: every call fails, the breaker never opens (threshold 100 %), the whole storm stays in one window. */
async function storm(ai: AiRouter): Promise<Part> {
  const failure = new ai.ProviderError('server_error', '500 boom', { status: 500 });
  const failing = () => Promise.reject(failure);
  const WINDOW_MS = 600_000;
  const BATCH = 1000;
  // A warm router with an empty window: real timers, and a clock that jumps past the window after warming up
  // (each router has its own closures for the JIT to warm).
  const warmRouter = async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset, setTimeout: (cb: () => void, ms: number) => setTimeout(cb, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) };
    const router = ai.createRouter({
      providers: { p: failing },
      clock,
      defaults: { retries: 0, breaker: { errorThresholdPercentage: 100, volumeThreshold: 0, rollingWindowMs: WINDOW_MS, rollingBuckets: 10 } },
    });
    for (let i = 0; i < 20_000; i++) await router.chat(request).catch(noop);
    offset += WINDOW_MS + 1;
    return router;
  };
  const fail = (router: Router) => () => router.chat(request).catch(noop);

  // Low (failures 1–1k) and high (failures STORM−1k … STORM) fill levels, alternating so drift hits both alike.
  const pairs: { low: number; high: number }[] = [];
  for (let pair = 0; pair < 5; pair++) {
    const one: { low?: number; high?: number } = {};
    for (const level of pair % 2 ? (['high', 'low'] as const) : (['low', 'high'] as const)) {
      const router = await warmRouter();
      if (level === 'high') for (let i = 0; i < STORM - BATCH; i++) await router.chat(request).catch(noop);
      one[level] = await medianOf(fail(router), BATCH);
      router.close();
    }
    pairs.push({ low: one.low!, high: one.high! });
  }
  const ratios = pairs.map((p) => p.high / p.low).sort((a, b) => a - b);
  const mid = <T>(xs: T[]) => xs[Math.floor(xs.length / 2)]!;

  // Memory and timers over a whole storm. The first failure rotates the warm-up out of the window.
  const router = await warmRouter();
  await router.chat(request).catch(noop);
  await new Promise((r) => setImmediate(r));
  gc();
  const timersBefore = timers();
  const heapBefore = process.memoryUsage().heapUsed;
  for (let i = 0; i < STORM; i++) await router.chat(request).catch(noop);
  await new Promise((r) => setImmediate(r));
  gc();
  const heapGrowth = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  const timersLeft = timers() - timersBefore;
  const failed = router.health().p?.failed_calls;
  router.close();
  if (failed !== STORM + 20_001) throw new Error(`storm: expected ${STORM + 20_001} failures, saw ${failed}`);

  // Baseline: opossum with its defaults (latency percentiles on) over the same kind of storm, 5k failures.
  const opossum = createRequire(new URL('../packages/ai-router/package.json', import.meta.url))('opossum') as new (
    action: () => Promise<unknown>,
    options: Record<string, unknown>,
  ) => { fire(): Promise<unknown>; shutdown(): void };
  const stock = new opossum(failing, { timeout: false, errorThresholdPercentage: 100, rollingCountTimeout: WINDOW_MS, rollingCountBuckets: 10 });
  const stockLow = await medianOf(() => stock.fire().catch(noop), BATCH);
  for (let i = 0; i < 3000; i++) await stock.fire().catch(noop);
  const stockHigh = await medianOf(() => stock.fire().catch(noop), BATCH);
  stock.shutdown();

  return {
    rows: [
      { part: 'storm', variant: `router, failures 1–1k in the window (median of 5 runs)`, 'µs per failure (median)': round(mid(pairs.map((p) => p.low).sort((a, b) => a - b))) },
      { part: 'storm', variant: `router, failures ${STORM / 1000 - 1}k–${STORM / 1000}k in the window (median of 5 runs)`, 'µs per failure (median)': round(mid(pairs.map((p) => p.high).sort((a, b) => a - b))) },
      { part: 'storm', variant: `heap kept after ${STORM} failures (MB, router alive)`, value: round(heapGrowth) },
      { part: 'storm', variant: 'timers left after the storm', value: timersLeft },
      { part: 'storm', variant: 'baseline: opossum defaults (percentiles on), failures 1–1k', 'µs per failure (median)': round(stockLow) },
      { part: 'storm', variant: 'baseline: opossum defaults (percentiles on), failures 4k–5k', 'µs per failure (median)': round(stockHigh), growth: `×${round(stockHigh / stockLow, 1)}` },
    ],
    ratios: [
      { label: `storm: µs per failure at ${STORM / 1000}k / at 1k in the window (flat ±20 %)`, value: round(mid(ratios), 3), min: 0.8, max: 1.2 },
      { label: 'storm: heap growth (MB)', value: round(heapGrowth), max: 10 },
      { label: 'storm: timers left behind', value: timersLeft, max: 0 },
    ],
  };
}

/**
 * The AI router: overhead per call in-process, failover once the breaker is open against fake providers in
 * their own process, and bookkeeping under a failure storm. Every figure beside its baseline from this run.
 */
export default async function aiRouterBench(): Promise<BenchReport> {
  // The built package (this file runs without the source condition): the code users install.
  const ai = (await import('@aetherlink/ai-router')) as AiRouter;
  const only = (process.env.BENCH_AI_PARTS ?? 'overhead,storm,failover').split(',');
  const parts: Part[] = [];
  if (only.includes('overhead')) parts.push(await overhead(ai));
  if (only.includes('storm')) parts.push(await storm(ai));
  if (only.includes('failover')) parts.push(await failover(ai));
  return {
    name: 'ai-router',
    description: `AI router: overhead per call (${BLOCKS}k calls per variant, interleaved), failover with a hanging primary (${FAILOVER_CALLS} calls per variant, 10 in flight), failure storm (${STORM} failures in one window, 5 alternating pairs)`,
    rows: parts.flatMap((p) => p.rows),
    ratios: parts.flatMap((p) => p.ratios),
  };
}
