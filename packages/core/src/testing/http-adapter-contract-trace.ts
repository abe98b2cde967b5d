import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../audit/audit-log.js';
import { memoryAuditSink } from '../audit/sinks.js';
import { AetherError } from '../errors.js';
import { createEventBus, type EventBus } from '../events/bus.js';
import { defineRoute, type AnyRouteSpec } from '../http/route.js';
import { traceHeaders } from '../trace/context.js';
import type { HttpContractServer, HttpContractServerOptions } from './http-adapter-contract.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const PARENT = 'b7ad6b7169203331';
const TRACEPARENT = `00-${TRACE}-${PARENT}-01`;

/**
 * W3C Trace Context through the adapter: `traceparent`/`tracestate` reach the handler (`ctx.trace`), the events it
 * publishes, the headers of its outbound calls, the audit record and the error log; a malformed header is ignored;
 * `trace: { start: true }` starts a trace for requests without one, and `trace: false` reads nothing.
 */
export function describeTraceContract(name: string, start: (options: HttpContractServerOptions) => Promise<HttpContractServer>): void {
  describe(`HTTP adapter contract: ${name}: trace context`, () => {
    const servers: HttpContractServer[] = [];
    const sink = memoryAuditSink();
    const logged: { trace_id?: string }[] = [];
    let bus: EventBus;
    let url: string;
    let starting: string;
    let off: string;

    beforeAll(async () => {
      bus = createEventBus({ source: 'trace' });
      const routes: AnyRouteSpec[] = [
        defineRoute({
          method: 'POST',
          path: '/tr/work',
          permission: 'ops:read',
          handler: async ({ trace }) => {
            // Across an await, as a real handler would publish and call out.
            await new Promise((r) => setTimeout(r, 1));
            const { event } = await bus.emit('trace.work', { n: 1 });
            return { trace: trace ? { id: trace.traceId, parent: trace.spanId, state: trace.tracestate ?? null } : null, outbound: traceHeaders(), event: event.traceparent ?? null };
          },
        }),
        defineRoute({
          method: 'GET',
          path: '/tr/boom',
          permission: 'public',
          handler: () => {
            throw new AetherError('internal', 'boom');
          },
        }),
      ];
      const audit = createAuditLog({ service: 'trace', sinks: [sink] });
      const common = { service: 'trace', bus, audit, routes, guarded: { path: '/tr/plain', permission: 'ops:read' as const }, onError: (_e: unknown, where: { trace_id?: string }) => void logged.push(where) };
      servers.push(await start(common), await start({ ...common, trace: { start: true } }), await start({ ...common, trace: false }));
      [url, starting, off] = servers.map((s) => s.url) as [string, string, string];
    });
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.close()));
    });

    const work = async (base: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}/tr/work`, { method: 'POST', headers: { 'x-user-roles': 'viewer', ...headers } });
      expect(res.status).toBe(200);
      return (await res.json()) as { trace: { id: string; parent: string; state: string | null } | null; outbound: Record<string, string>; event: string | null };
    };

    it('carries an incoming traceparent and tracestate to the handler, its events, its outbound calls and the audit record', async () => {
      const out = await work(url, { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' });
      expect(out.trace).toEqual({ id: TRACE, parent: PARENT, state: 'congo=t61rcWkgMzE' });
      expect(out.outbound).toEqual({ traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE' });
      expect(out.event).toBe(TRACEPARENT);
      await expect.poll(() => sink.records().filter((r) => r.path === '/tr/work').map((r) => r.trace_id)).toContain(TRACE);
    });

    it('ignores a malformed traceparent, and does not start a trace by default', async () => {
      const out = await work(url, { traceparent: TRACEPARENT.toUpperCase() });
      expect(out).toEqual({ trace: null, outbound: {}, event: null });
    });

    it('names the trace in the error log of a request that failed unexpectedly', async () => {
      const res = await fetch(`${url}/tr/boom`, { headers: { traceparent: TRACEPARENT } });
      expect(res.status).toBe(500);
      expect(JSON.stringify(await res.json())).not.toContain(TRACE);
      expect(logged.at(-1)).toMatchObject({ trace_id: TRACE });
    });

    it('with trace.start, starts a new trace for each request that brings none (and still joins one that does)', async () => {
      const [a, b] = [await work(starting), await work(starting)];
      expect(a.trace!.id).toMatch(/^[0-9a-f]{32}$/);
      expect(a.trace!.id).not.toBe(b.trace!.id);
      expect(a.event).toBe(`00-${a.trace!.id}-${a.trace!.parent}-01`);
      expect((await work(starting, { traceparent: TRACEPARENT })).trace!.id).toBe(TRACE);
    });

    it('with trace: false, reads no trace headers', async () => {
      expect(await work(off, { traceparent: TRACEPARENT })).toEqual({ trace: null, outbound: {}, event: null });
    });
  });
}
