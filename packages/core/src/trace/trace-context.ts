import { randomFillSync } from 'node:crypto';

/** The W3C Trace Context of the work in progress: which trace it belongs to and the span that stands for it. */
export interface TraceContext {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits: this process's span, or the caller's when no span was made here. */
  readonly spanId: string;
  /** The caller (or this process) may have recorded the trace. */
  readonly sampled: boolean;
  /** `00-{traceId}-{spanId}-{flags}`, as sent onward. */
  readonly traceparent: string;
  /** Vendor entries carried alongside, already checked; sent onward unchanged. */
  readonly tracestate: string | undefined;
}

/** A context is its `traceparent` string plus `tracestate`: the ids are read from the string only when asked. */
export class Trace implements TraceContext {
  constructor(
    readonly traceparent: string,
    readonly tracestate: string | undefined,
    /** The OpenTelemetry span standing for this context, when one was made here. */
    readonly span?: unknown,
  ) {}
  get traceId(): string {
    return this.traceparent.slice(3, 35);
  }
  get spanId(): string {
    return this.traceparent.slice(36, 52);
  }
  get sampled(): boolean {
    return (Number.parseInt(this.traceparent.slice(53, 55), 16) & 1) === 1;
  }
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const V00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-3]$/;

/**
 * Reads a `traceparent` header (W3C Trace Context): version 00 exactly, later versions by their first four
 * fields; anything malformed (upper case, zero ids, version ff, several headers) is undefined, never an error.
 * @example parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')?.traceId
 */
export function parseTraceparent(header: string | readonly string[] | undefined, tracestate?: string | readonly string[]): TraceContext | undefined {
  if (typeof header !== 'string') return undefined;
  // The common case, version 00 with known flags, is taken as it is: one test, no captures.
  if (header.length === 55 && V00.test(header)) {
    return header.slice(3, 35) === ZERO_TRACE || header.slice(36, 52) === ZERO_SPAN ? undefined : new Trace(header, tracestate === undefined ? undefined : parseTracestate(tracestate));
  }
  const m = TRACEPARENT.exec(header);
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && rest !== undefined) || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  // Sent onward as version 00, with only the flags this version defines (sampled, random).
  return new Trace(`00-${traceId}-${spanId}-0${Number.parseInt(flags, 16) & 0x03}`, parseTracestate(tracestate));
}

const MEMBER = /^(?:[a-z0-9][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
const MAX_TRACESTATE = 512;
const MAX_MEMBERS = 32;

/**
 * Checks a `tracestate` header (several headers are one list): an invalid list is dropped whole, as the
 * specification asks, and a long one is cut to the members that fit in 512 characters.
 * @example parseTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7') // the same string
 */
export function parseTracestate(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const joined = typeof header === 'string' ? header : header.join(',');
  const members = joined.split(',').map((m) => m.trim()).filter((m) => m !== '');
  if (members.length === 0 || members.length > MAX_MEMBERS) return undefined;
  const seen = new Set<string>();
  let out = '';
  for (const member of members) {
    if (!MEMBER.test(member)) return undefined;
    const key = member.slice(0, member.indexOf('='));
    if (seen.has(key)) return undefined;
    seen.add(key);
    if (out.length + member.length + 1 > MAX_TRACESTATE) break;
    out = out === '' ? member : `${out},${member}`;
  }
  return out === '' ? undefined : out;
}

// Ids come from a pool of random bytes refilled 4 KiB at a time: one syscall per ~170 new traces.
const pool = Buffer.allocUnsafe(4096);
let offset = pool.length;

function randomHex(bytes: number, zero: string): string {
  for (;;) {
    if (offset + bytes > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const hex = pool.toString('hex', offset, offset + bytes);
    offset += bytes;
    if (hex !== zero) return hex;
  }
}

/**
 * A new trace, sampled, with random ids: for a request that came without one.
 * @example newTrace().traceparent // '00-<32 hex>-<16 hex>-01'
 */
export function newTrace(): TraceContext {
  return new Trace(`00-${randomHex(16, ZERO_TRACE)}-${randomHex(8, ZERO_SPAN)}-01`, undefined);
}

/**
 * A `traceparent` value from its parts.
 * @example formatTraceparent('0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331', true)
 */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}
