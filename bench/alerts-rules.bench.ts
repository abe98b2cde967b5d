import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, type BenchReport } from './lib/harness.js';

// Types from source, code from the build: `pnpm bench` builds first, and the type check needs no dist.
type Alerts = typeof import('../packages/alerts/src/index.js');
type Core = typeof import('../packages/core/src/index.js');
type Sqlite = typeof import('../packages/adapters/src/storage/sqlite/index.js');
type Rule = import('../packages/alerts/src/index.js').AlertRule;

const EVENTS = Number(process.env.BENCH_ALERT_EVENTS ?? 1_000_000);
const RULES = Number(process.env.BENCH_ALERT_RULES ?? 1000);
const TICKS = Number(process.env.BENCH_ALERT_TICKS ?? 20);
const SEED_TICKS = Number(process.env.BENCH_ALERT_SEED_TICKS ?? 3);
const PUBLISHES = Number(process.env.BENCH_ALERT_PUBLISHES ?? 50_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const TYPES = 200;
const SOURCES = 20;
const DAY_MS = 86_400_000;
const WINDOWS = [300, 900, 1800, 3600];

const typeOf = (i: number) => `bench.type-${i % TYPES}`;
// Knuth's multiplicative hash, so an event's source does not follow from its type.
const sourceOf = (i: number) => `src-${((i * 2654435761) >>> 0) % SOURCES}`;

/** 1,000 rules over 200 event types: a fifth also filter on a source, a tenth group by source. */
const ruleInput = (i: number) => ({
  name: `rule-${i}`,
  event_type: typeOf(i),
  source: i % 5 === 0 ? sourceOf(i) : null,
  window_seconds: WINDOWS[i % WINDOWS.length]!,
  // From 5 % to 200 % of what one event type gets in an hour, so some rules of each window fire and most do not.
  threshold: Math.max(2, Math.round((EVENTS / TYPES / 24) * (0.05 + (i % 40) / 20))),
  group_by: i % 10 === 3 ? ['source'] : [],
});

interface Loaded {
  stores: ReturnType<Sqlite['sqliteStores']>;
  rules: Rule[];
}

/** A SQLite file holding EVENTS events spread over the last 24 h (one INSERT transaction) and RULES rules. */
async function load(alerts: Alerts, sqlite: Sqlite, dir: string): Promise<Loaded> {
  const stores = sqlite.sqliteStores({ path: join(dir, 'tick.db'), synchronous: 'NORMAL' });
  const insert = stores.db.prepare(
    'INSERT INTO events (id, source, type, time, time_ms, severity, datacontenttype, data, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const now = Date.now();
  stores.db.transaction(() => {
    for (let i = 0; i < EVENTS; i++) {
      // Spread over 24 h, newest last, so the store's seq order is time order as a live store's is.
      const t = now - DAY_MS + Math.floor((i / EVENTS) * DAY_MS);
      const iso = new Date(t).toISOString();
      insert.run(`e${i}`, sourceOf(i), typeOf(i * 13), iso, t, 'error', 'application/json', '{"n":1}', iso);
    }
  }).immediate();
  // The seed's query gets the best plan SQLite can find.
  stores.db.exec('ANALYZE');
  const book = alerts.createRuleBook({ documents: stores.documents });
  const rules: Rule[] = [];
  for (let i = 0; i < RULES; i++) rules.push(await book.create(ruleInput(i)));
  return { stores, rules };
}

/** The seed's evaluator: one COUNT(*) over the event store per rule per tick. */
function seedTick(loaded: Loaded): number {
  const db = loaded.stores.db;
  const plain = db.prepare('SELECT COUNT(*) AS n FROM events WHERE type = ? AND time_ms >= ?');
  const withSource = db.prepare('SELECT COUNT(*) AS n FROM events WHERE type = ? AND source = ? AND time_ms >= ?');
  const now = Date.now();
  let over = 0;
  for (const r of loaded.rules) {
    const since = now - r.window_seconds * 1000;
    const { n } = (r.source ? withSource.get(r.event_type, r.source, since) : plain.get(r.event_type, since)) as { n: number };
    if (n >= r.threshold) over++;
  }
  return over;
}

async function tickPart(alerts: Alerts, core: Core, sqlite: Sqlite): Promise<Pick<BenchReport, 'rows' | 'ratios' | 'info'>> {
  const dir = mkdtempSync(join(tmpdir(), 'aetherlink-bench-alerts-'));
  try {
    const t0 = performance.now();
    const loaded = await load(alerts, sqlite, dir);
    const loadMs = performance.now() - t0;
    const bus = core.createEventBus({ store: loaded.stores.events });
    const evaluator = alerts.createAlertEvaluator({ documents: loaded.stores.documents, bus, owner: 'bench', logger: core.silentLogger });
    const term = new AbortController();
    const t1 = performance.now();
    const first = await evaluator.evaluate({ term: term.signal, signal: term.signal });
    const rebuildMs = performance.now() - t1;
    const incremental: number[] = [];
    const seed: number[] = [];
    let seedOver = 0;
    let firing = 0;
    // Alternating: a few seed ticks, then a block of incremental ticks, round by round.
    for (let round = 0; round < SEED_TICKS; round++) {
      let t = performance.now();
      seedOver = seedTick(loaded);
      seed.push(performance.now() - t);
      for (let i = 0; i < Math.ceil(TICKS / SEED_TICKS); i++) {
        t = performance.now();
        firing = (await evaluator.evaluate({ term: term.signal, signal: term.signal })).alerts.firing;
        incremental.push(performance.now() - t);
      }
    }
    term.abort();
    evaluator.close();
    bus.close();
    await loaded.stores.close();
    if (firing === 0 || seedOver === 0) throw new Error(`nothing fires (${firing} alerts firing incrementally, ${seedOver} rules over threshold by COUNT(*)): the bench measures nothing`);
    const inc = median(incremental);
    const cnt = median(seed);
    return {
      rows: [
        { measure: `one tick, ${RULES} rules, ${EVENTS} stored events`, variant: 'seed: COUNT(*) per rule', 'median ms': Number(cnt.toFixed(2)), ticks: seed.length },
        { measure: `one tick, ${RULES} rules, ${EVENTS} stored events`, variant: 'incremental windows', 'median ms': Number(inc.toFixed(3)), ticks: incremental.length },
      ],
      ratios: [
        { label: 'tick: seed COUNT(*) per rule / incremental (×)', value: cnt / inc, min: 50 },
        { label: 'incremental tick with 1,000 rules (ms)', value: inc, max: 50 },
      ],
      info: [
        { label: `windows rebuilt from the store after a restart (ms, ${first.rebuilt.events} events read)`, value: rebuildMs },
        { label: `loading ${EVENTS} events and ${RULES} rules (ms)`, value: loadMs },
        { label: 'alerts firing, incremental (grouped rules fire per source)', value: firing },
        { label: 'rules over threshold, seed COUNT(*) (ungrouped)', value: seedOver },
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Publishes per second through the bus into SQLite (256 in flight), with the evaluator counting for 1,000 rules or not. */
async function publishes(alerts: Alerts, core: Core, sqlite: Sqlite, withRules: boolean, store: 'sqlite' | 'memory'): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'aetherlink-bench-alerts-'));
  const stores = sqlite.sqliteStores({ path: join(dir, 'publish.db') });
  const bus = core.createEventBus({ store: store === 'sqlite' ? stores.events : core.memoryEventStore({ maxEvents: PUBLISHES + 10 }) });
  const term = new AbortController();
  let evaluator: ReturnType<Alerts['createAlertEvaluator']> | undefined;
  try {
    if (withRules) {
      const book = alerts.createRuleBook({ documents: stores.documents });
      for (let i = 0; i < RULES; i++) await book.create({ ...ruleInput(i), threshold: 1_000_000 });
      evaluator = alerts.createAlertEvaluator({ documents: stores.documents, bus, owner: 'bench', logger: core.silentLogger });
      await evaluator.evaluate({ term: term.signal, signal: term.signal });
    }
    let next = 0;
    const lane = async () => {
      while (next < PUBLISHES) {
        const i = next++;
        await bus.publish({ type: typeOf(i * 13), source: sourceOf(i), id: `p${i}`, severity: 'error', data: { i, host: 'node-1' } });
      }
    };
    const t = performance.now();
    await Promise.all(Array.from({ length: 256 }, lane));
    const ms = performance.now() - t;
    if (evaluator && evaluator.windows().groups === 0) throw new Error('the evaluator counted nothing');
    return (PUBLISHES / ms) * 1000;
  } finally {
    term.abort();
    evaluator?.close();
    bus.close();
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Alert rules: one evaluation tick of 1,000 rules over 1,000,000 stored events, incremental windows vs the seed's
 * COUNT(*) per rule in the same run; publishes per second with 1,000 rules counting vs none.
 */
export default async function alertsRulesBench(): Promise<BenchReport> {
  // The built packages (this file runs without the source condition): the code users install.
  const alerts = (await import('@aetherlink/alerts')) as unknown as Alerts;
  const core = (await import('@aetherlink/core')) as unknown as Core;
  const sqlite = (await import('@aetherlink/adapters/sqlite')) as unknown as Sqlite;
  const tick = await tickPart(alerts, core, sqlite);

  const rates: Record<string, number[]> = { 'sqlite none': [], 'sqlite rules': [], 'memory none': [], 'memory rules': [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = Object.keys(rates);
    for (const variant of round % 2 ? order.reverse() : order) {
      const [store, rules] = variant.split(' ') as ['sqlite' | 'memory', string];
      rates[variant]!.push(await publishes(alerts, core, sqlite, rules === 'rules', store));
    }
  }
  const pair = (a: number[], b: number[]) => median(a.map((x, i) => x / b[i]!));
  const rows = Object.entries(rates).map(([variant, list]) => ({ measure: `publishes/s through the bus (${PUBLISHES}, 256 in flight)`, variant, median: Math.round(median(list)), rounds: list.map(Math.round).join(' / ') }));
  return {
    name: 'alerts-rules',
    description: `alert rules: one tick with ${RULES} rules over ${EVENTS} stored events (SQLite), incremental vs the seed's COUNT(*) per rule, alternating; publishes/s with ${RULES} rules counting vs none, ${ROUNDS} alternating rounds; all in this run`,
    rows: [...tick.rows, ...rows],
    ratios: [...tick.ratios, { label: `SQLite publishes/s with ${RULES} rules / with none`, value: pair(rates['sqlite rules']!, rates['sqlite none']!), min: 0.8 }],
    info: [...(tick.info ?? []), { label: `memory-store publishes/s with ${RULES} rules / with none`, value: pair(rates['memory rules']!, rates['memory none']!) }],
    details: { rates },
  };
}
