import { memoryLogger, type LogLine } from '@aetherlink/core/testing';
import { createManualClock, type ManualClock } from '@aetherlink/core';
import { openPostgresStores, type PostgresStores } from '@aetherlink/adapters/postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../../../test/postgres.js';
import { createRegistry } from './registry.js';
import type { CheckOutcome, Registry, ServiceView } from './types.js';

// Two instances on one PostgreSQL schema, each with its own pool, as two reference servers would be. A runs the
// lease expiry and records probe results; B takes the heartbeats and registrations. Both read one manual clock,
// so whether a lease is alive depends on the test's steps, never on wall time.

const TTL = 5;
const CRITICAL_FOR = 10_000;
const SERVICES = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
/** Registered like the others but never renewed: A must still expire it in every round. */
const SILENT = 'silent';
const ROUNDS = 16;

let schema: string;
let opened: PostgresStores[];
let clock: ManualClock;
let a: Registry;
let b: Registry;
let aLog: LogLine[];

beforeEach(async () => {
  schema = uniqueSchema('race');
  const open = (instanceId: string) => openPostgresStores({ connectionString: testDatabaseUrl(), schema, instanceId, poolSize: 8 });
  const storesA = await open('a');
  const storesB = await open('b');
  opened = [storesA, storesB];
  clock = createManualClock();
  const recording = memoryLogger();
  aLog = recording.lines;
  a = createRegistry({ store: storesA.registry, clock, criticalForMs: CRITICAL_FOR, logger: recording.logger });
  b = createRegistry({ store: storesB.registry, clock, criticalForMs: CRITICAL_FOR, logger: memoryLogger().logger });
});

afterEach(async () => {
  a.close();
  b.close();
  await Promise.all(opened.map((s) => s.close()));
  await dropSchema(schema);
});

const passed = (view: Pick<ServiceView, 'health_url'>): CheckOutcome => ({
  health_url: view.health_url,
  status: 'ok',
  error: null,
  latency_ms: 1,
  checked_at: new Date(clock.now()).toISOString(),
});

/** Registers (again) on B and records a passing probe on A: the service is live and `ok`. */
async function bringUp(name: string): Promise<void> {
  const { service } = await b.register({ name, url: `http://${name}:8080`, ttl_seconds: TTL });
  await a.recordCheck(name, passed(service));
}

describe('two registries on one PostgreSQL', () => {
  it('never deregisters or marks down a service whose heartbeat landed, while A expires leases and records probes', { timeout: 120_000 }, async () => {
    for (const name of [...SERVICES, SILENT]) await bringUp(name);

    for (let round = 0; round < ROUNDS; round++) {
      // Every lease runs out: on even rounds only just (A marks them down), on odd ones past critical-for
      // (A deregisters them), unless a heartbeat through B gets in first.
      clock.advance(round % 2 === 0 ? TTL * 1000 + 1000 : TTL * 1000 + CRITICAL_FOR + 1000);
      const renewedOk = new Set<string>();

      const hammer = Promise.all(
        SERVICES.map(async (name) => {
          for (let i = 0; i < 4; i++) {
            const view = await b.heartbeat(name).catch((error: unknown) => {
              if ((error as { code?: string }).code === 'not_found') return null;
              throw error;
            });
            // This heartbeat renewed the lease of a service that was up: from here on it is live.
            if (view?.status === 'ok') renewedOk.add(name);
          }
        }),
      );
      const expiry = (async () => {
        const results = [];
        for (let i = 0; i < 3; i++) results.push(await a.expireLeases());
        return results;
      })();
      const probes = Promise.all(
        SERVICES.map(async (name) => {
          const started = await a.get(name);
          if (started) await a.recordCheck(name, passed(started));
        }),
      );
      const [, passes] = await Promise.all([hammer, expiry, probes]);
      // Leases that did run out still end: the silent service goes down, then away, every time.
      const acted = passes.flatMap((p) => (round % 2 === 0 ? p.expired : p.deregistered));
      expect(acted, `round ${round}`).toContain(SILENT);

      for (const name of renewedOk) {
        const now = await a.get(name);
        expect(now, `${name} was deregistered after its heartbeat landed (round ${round})`).not.toBeNull();
        expect(now!.status, `${name} was turned down after its heartbeat landed (round ${round})`).toBe('ok');
      }
      // Services A took out before any heartbeat reached them come back for the next round.
      for (const name of [...SERVICES, SILENT]) if ((await a.get(name))?.status !== 'ok') await bringUp(name);
    }

    // The races happened: A lost conditional writes to B's heartbeats and decided again.
    expect(aLog.filter((l) => l.msg.includes('deciding again on a fresh read')).length).toBeGreaterThan(0);
  });

  it('never lets a probe result revert a registration B made with a new health URL while the probe ran', { timeout: 120_000 }, async () => {
    for (const name of SERVICES) await b.register({ name, url: `http://${name}:8080`, health_url: `http://${name}:8080/health-0` });

    for (let round = 1; round <= ROUNDS; round++) {
      const healthUrl = (name: string) => `http://${name}:8080/health-${round}`;
      await Promise.all(
        SERVICES.map(async (name) => {
          // The probe starts on the URL registered so far; the new registration races its result.
          const started = (await a.get(name))!;
          await Promise.all([a.recordCheck(name, passed(started)), b.register({ name, url: `http://${name}:8080`, health_url: healthUrl(name) })]);
        }),
      );
      for (const name of SERVICES) {
        // Whichever came first, the new registration stands as registered: down, never checked at its new URL.
        expect(await b.get(name), `${name}, round ${round}`).toMatchObject({ health_url: healthUrl(name), status: 'down', last_check: null });
      }
    }
    expect(aLog.filter((l) => l.msg.includes('deciding again on a fresh read')).length).toBeGreaterThan(0);
  });
});
