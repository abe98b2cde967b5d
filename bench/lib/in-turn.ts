import { runScript, type ServerProcess } from './harness.js';

/** What servers/load-rotation.mjs asks of each server. */
export interface TurnTarget {
  path: string;
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Requests per second of each variant, one figure per cycle, and what went wrong. */
export type InTurnResult = Record<string, { rps: number[]; p99_ms: number[]; errors: number; non2xx: number }>;

export interface InTurnOptions {
  /** Variant names, in the order of `start`. */
  variants: readonly string[];
  /** Starts variant `i`'s server for one lifetime (its own process). */
  start(variant: string, lifetime: number): Promise<ServerProcess>;
  target: TurnTarget;
  /** Server lifetimes: every variant is started afresh this many times, in a rotated order each time. */
  lifetimes: number;
  /** Load cycles per lifetime (each loads every variant once, in a rotating order). */
  cycles: number;
  windowSec: number;
  connections: number;
  /** Called once the servers of a lifetime are stopped (e.g. to remove their files). */
  cleanup?(lifetime: number): void;
}

/**
 * Loads servers that run at once in turn, in short windows, over several lifetimes of fresh processes. Windows in
 * turn put drift on the machine on neighbouring windows of every variant alike; fresh processes in a rotated start
 * order do the same for what stays with one process for its life: on this machine two processes of the very same
 * bare server differ by up to 20 % for as long as they live (where their code and heap happen to land), which in
 * one lifetime reads as a difference between variants. Results are concatenated over lifetimes, cycle by cycle.
 * @example const r = await measureInTurn({ variants: ['bare', 'ours'], start, target: { path: '/items/42' }, lifetimes: 7, cycles: 3, windowSec: 2, connections: 100 })
 */
export async function measureInTurn(options: InTurnOptions): Promise<InTurnResult> {
  const { variants } = options;
  const out: InTurnResult = Object.fromEntries(variants.map((v) => [v, { rps: [], p99_ms: [], errors: 0, non2xx: 0 }]));
  for (let lifetime = 0; lifetime < options.lifetimes; lifetime++) {
    const servers = new Map<string, ServerProcess>();
    try {
      for (let k = 0; k < variants.length; k++) {
        const variant = variants[(k + lifetime) % variants.length]!;
        servers.set(variant, await options.start(variant, lifetime));
      }
      const { target } = options;
      const measured = await runScript<InTurnResult>('servers/load-rotation.mjs', {
        TARGETS: JSON.stringify(variants.map((name) => ({ name, url: `${servers.get(name)!.url}${target.path}`, method: target.method, body: target.body, headers: target.headers }))),
        CYCLES: String(options.cycles),
        WINDOW_SEC: String(options.windowSec),
        CONNECTIONS: String(options.connections),
        WARMUP_SEC: '1',
      });
      for (const v of variants) {
        const m = measured[v]!;
        out[v]!.rps.push(...m.rps);
        out[v]!.p99_ms.push(...m.p99_ms);
        out[v]!.errors += m.errors;
        out[v]!.non2xx += m.non2xx;
      }
    } finally {
      await Promise.all([...servers.values()].map((s) => s.stop()));
      options.cleanup?.(lifetime);
    }
  }
  return out;
}
