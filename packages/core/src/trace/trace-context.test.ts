import { describe, expect, it } from 'vitest';
import { createEventBus } from '../events/bus.js';
import { currentTrace, runWithTrace, traceHeaders, traceLogFields } from './context.js';
import { formatTraceparent, newTrace, parseTraceparent, parseTracestate } from './trace-context.js';
import { spansEnabled, withSpan } from './otel.js';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('parseTraceparent', () => {
  it('reads a version 00 header into its ids and flags', () => {
    const t = parseTraceparent(TP, 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')!;
    expect(t).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', sampled: true, traceparent: TP });
    expect(t.tracestate).toBe('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7');
    expect(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00')!.sampled).toBe(false);
  });

  it('refuses malformed headers (never throws)', () => {
    for (const bad of [
      '',
      'garbage',
      '00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01', // upper case
      '00-00000000000000000000000000000000-b7ad6b7169203331-01', // zero trace id
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01', // zero parent id
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', // version ff
      `${TP}-extra`, // version 00 has exactly four fields
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01', // short parent id
    ]) {
      expect(parseTraceparent(bad), bad).toBeUndefined();
    }
    expect(parseTraceparent([TP, TP])).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });

  it('reads a later version by its first fields and sends it on as version 00 with known flags only', () => {
    const t = parseTraceparent('cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09-what-ever')!;
    expect(t.traceparent).toBe(TP);
    expect(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff')!.traceparent).toBe(TP.replace(/-01$/, '-03'));
  });

  it('drops an invalid tracestate whole and cuts a long one at 512 characters', () => {
    expect(parseTracestate('not a member')).toBeUndefined();
    expect(parseTracestate('a=1,a=2')).toBeUndefined();
    expect(parseTracestate(['a=1', 'b=2'])).toBe('a=1,b=2');
    expect(parseTracestate(' a=1 , vendor@tenant=x ')).toBe('a=1,vendor@tenant=x');
    const long = Array.from({ length: 20 }, (_, i) => `k${i}=${'v'.repeat(40)}`).join(',');
    const cut = parseTracestate(long)!;
    expect(cut.length).toBeLessThanOrEqual(512);
    expect(cut.split(',').length).toBe(11);
  });

  it('starts new traces with random, non-zero, distinct ids', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const t = newTrace();
      expect(t.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(parseTraceparent(t.traceparent)?.traceparent).toBe(t.traceparent);
      seen.add(t.traceId);
    }
    expect(seen.size).toBe(500);
    expect(formatTraceparent('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', false)).toBe(TP.replace(/-01$/, '-00'));
  });
});

describe('the current trace', () => {
  it('follows the work across awaits and timers, and only inside it', async () => {
    const trace = parseTraceparent(TP, 'rojo=1')!;
    expect(currentTrace()).toBeUndefined();
    const seen = await runWithTrace(trace, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return { trace: currentTrace(), headers: traceHeaders({ accept: 'x' }), log: traceLogFields() };
    });
    expect(seen.trace).toBe(trace);
    expect(seen.headers).toEqual({ accept: 'x', traceparent: TP, tracestate: 'rojo=1' });
    expect(seen.log).toEqual({ trace_id: trace.traceId, span_id: trace.spanId });
    expect(currentTrace()).toBeUndefined();
    expect(traceHeaders({ accept: 'x' })).toEqual({ accept: 'x' });
    expect(traceLogFields()).toEqual({});
  });

  it('stamps events published inside a trace, and keeps a traceparent the publisher gave', async () => {
    const bus = createEventBus();
    const mine = '00-11111111111111111111111111111111-2222222222222222-01';
    const [inside, own] = await runWithTrace(parseTraceparent(TP), () =>
      Promise.all([bus.publish({ type: 'a.b', source: 's' }), bus.publish({ type: 'a.b', source: 's', traceparent: mine })]),
    );
    const outside = await bus.publish({ type: 'a.b', source: 's' });
    expect(inside.event.traceparent).toBe(TP);
    expect(own.event.traceparent).toBe(mine);
    expect(outside.event.traceparent).toBeUndefined();
  });

  it('without a tracer provider makes no spans and loads nothing: withSpan runs in the parent it is given', async () => {
    expect(spansEnabled()).toBe(false);
    const inside = await withSpan('deliver', { kind: 'client', parent: TP }, async () => currentTrace()?.traceparent);
    expect(inside).toBe(TP);
    expect(withSpan('x', {}, () => currentTrace())).toBeUndefined();
  });
});
