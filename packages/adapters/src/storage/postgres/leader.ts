import { errorFields, instanceId as newInstanceId, loggerFor, systemClock, type Campaign, type Clock, type LeaderElection, type Logger } from '@aetherlink/core';
import type pg from 'pg';
import { loadPeer } from '../../_internal/peer.js';
import { connectionConfigOf } from './pool.js';
import { applicationName, checkSchema, lockKey } from './names.js';

/** Options of `postgresLeaderElection`. */
export interface PostgresLeaderElectionOptions {
  /** One of `connectionString` or `pool` is required; each campaign opens its own session from it. */
  connectionString?: string;
  /** Its settings are used to open dedicated sessions; its connections are not used (locks live in sessions). */
  pool?: pg.Pool;
  /** Roles are namespaced by schema, like the stores. Default `public`. */
  schema?: string;
  /** Names this instance's sessions (`application_name`). Default: core's `instanceId()`. */
  instanceId?: string;
  /** How often a candidate tries for the lock and a leader checks its session. Default 1000. */
  pollMs?: number;
  connectTimeoutMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Leader election over PostgreSQL session advisory locks: one lock per role (a hash of schema and role). Each
 * campaign holds a dedicated session and polls `pg_try_advisory_lock`; the leader checks its session every poll
 * and its term ends the moment the session errors or closes. PostgreSQL frees a dead holder's lock with its
 * session, so another instance takes over within about one poll.
 * @example const leader = postgresLeaderElection({ connectionString: process.env.DATABASE_URL, instanceId: instanceId() })
 */
export function postgresLeaderElection(options: PostgresLeaderElectionOptions): LeaderElection & { close(): Promise<void> } {
  const schema = checkSchema(options.schema ?? 'public');
  const config = connectionConfigOf(options);
  const instance = options.instanceId ?? newInstanceId();
  const pollMs = options.pollMs ?? 1000;
  const clock = options.clock ?? systemClock;
  const log = loggerFor(options.logger, 'leader');
  const campaigns = new Set<Campaign>();

  const campaign = (role: string, onElected: (signal: AbortSignal) => void): Campaign => {
    const key = lockKey(schema, `leader:${role}`);
    let client: pg.Client | undefined;
    let term: AbortController | undefined;
    let stopped = false;
    let timer: unknown;
    let inFlight: Promise<void> = Promise.resolve();

    const endTerm = (reason: unknown) => {
      const current = term;
      term = undefined;
      current?.abort(reason instanceof Error ? reason : new Error(String(reason)));
    };

    // Leaving the session is what gives the lock back, so a session we no longer trust is always closed.
    const drop = (reason: unknown) => {
      endTerm(reason);
      const old = client;
      client = undefined;
      if (old) {
        old.removeAllListeners('end');
        old.on('error', () => undefined);
        old.end().catch(() => undefined);
      }
    };

    const connect = async () => {
      const fresh = new (loadPeer<typeof pg>('pg').Client)({
        ...config,
        application_name: applicationName('aetherlink-leader', instance, role),
        keepAlive: true,
        // A check that takes longer than a few polls means we cannot vouch for the session any more.
        query_timeout: Math.max(2000, pollMs * 3),
      });
      fresh.on('error', (error) => {
        if (client === fresh) drop(error);
      });
      fresh.on('end', () => {
        if (client === fresh) drop(new Error('the leader session ended'));
      });
      client = fresh;
      await fresh.connect();
      // Let the server notice a vanished peer within seconds rather than hours (no effect on Unix sockets).
      await fresh.query('SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3');
      return fresh;
    };

    const poll = async () => {
      try {
        const session = client ?? (await connect());
        if (stopped) return;
        if (term) {
          await session.query('SELECT 1');
          return;
        }
        const { rows } = await session.query<{ held: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS held', [key]);
        if (rows[0]?.held && !stopped && client === session) {
          term = new AbortController();
          try {
            onElected(term.signal);
          } catch (error) {
            log.error({ role, err: errorFields(error) }, `starting the work of role ${role} failed; this instance still holds the role`);
          }
        }
      } catch (error) {
        drop(error);
      }
    };

    const tick = () => {
      inFlight = poll().finally(() => {
        if (!stopped) timer = clock.setTimeout(tick, pollMs);
      });
    };
    tick();

    const handle: Campaign = {
      isLeader: () => term !== undefined && !term.signal.aborted,
      async stop() {
        if (stopped) return;
        stopped = true;
        clock.clearTimeout(timer);
        await inFlight.catch(() => undefined);
        endTerm(new Error('campaign stopped'));
        const session = client;
        client = undefined;
        if (session) {
          session.removeAllListeners('end');
          session.on('error', () => undefined);
          await session.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
          await session.end().catch(() => undefined);
        }
        campaigns.delete(handle);
      },
    };
    campaigns.add(handle);
    return handle;
  };

  return {
    kind: 'postgres',
    campaign,
    async close() {
      await Promise.all([...campaigns].map((c) => c.stop()));
    },
  };
}
