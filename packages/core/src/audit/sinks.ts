import { pino, type DestinationStream } from 'pino';
import type { AuditRecord, AuditSink } from './audit-log.js';

/** Field names whose values never reach an audit log, at any depth. */
export const SECRET_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'x-api-key',
  'password',
  'secret',
  'client_secret',
  'webhook_secret',
] as const;

const REDACTED = '[redacted]';
const DEFAULT_SECRETS: ReadonlySet<string> = new Set(SECRET_FIELDS);

/**
 * A copy of `value` with every property named like a secret replaced, at any depth.
 * @example redactDeep({ headers: { authorization: 'Bearer x' } }) // { headers: { authorization: '[redacted]' } }
 */
export function redactDeep(value: unknown, names: ReadonlySet<string> = DEFAULT_SECRETS, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > 20) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, names, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = names.has(k.toLowerCase()) ? REDACTED : redactDeep(v, names, depth + 1);
  return out;
}

export interface PinoAuditSinkOptions {
  /** A file path, a file descriptor (1 = stdout), or a pino destination stream (`pino.destination()`, `pino.transport()`). Default stdout. */
  destination?: string | number | DestinationStream;
  /** Extra field names to redact in `meta`, besides SECRET_FIELDS. */
  redact?: string[];
  /** Write each record at once (tests, crash-sensitive setups). Default false: lines are batched. */
  sync?: boolean;
  /** Longest a batched line waits before it is written, ms. Default 200. */
  flushIntervalMs?: number;
  /** Write as soon as this many records are waiting. Default 256. */
  batchSize?: number;
}

/**
 * Audit records as JSON lines through a pino destination, secrets in `meta` redacted at any depth.
 * Lines carry `"log":"audit"` so they stand apart from app logs on a shared stdout.
 * @example const sink = pinoAuditSink({ destination: './audit.log' })
 */
export function pinoAuditSink(options: PinoAuditSinkOptions = {}): AuditSink & { readonly stream: DestinationStream } {
  const dest = options.destination ?? 1;
  const sync = options.sync ?? false;
  const ownsStream = typeof dest === 'string' || typeof dest === 'number';
  const stream: DestinationStream = ownsStream ? pino.destination({ dest, sync, mkdir: true }) : dest;
  const auditLine = createAuditLineSerializer(new Set([...SECRET_FIELDS, ...(options.redact ?? [])].map((n) => n.toLowerCase())));
  // Records are batched by count and time and serialised only when written: a write per request (a thread-pool
  // round trip each) cost more than the rest of the middleware together, and serialising off the request path
  // keeps it out of request latency. At most `flushIntervalMs` of records wait in memory; close() writes them.
  const interval = options.flushIntervalMs ?? 200;
  const batchSize = options.batchSize ?? 256;
  let pending: AuditRecord[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drain = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    let chunk = '';
    for (const record of batch) chunk += auditLine(record);
    stream.write(chunk);
  };
  type Boom = DestinationStream & {
    fd?: number;
    flush?: (cb?: (err?: Error) => void) => void;
    end?: () => void;
    once?: (event: string, listener: () => void) => void;
  };
  const boom = stream as Boom;
  // A file destination opens asynchronously; flushing before it is open would lose the lines.
  const ready = () =>
    new Promise<void>((resolve) => {
      if (!ownsStream || typeof boom.fd !== 'number' || boom.fd >= 0 || !boom.once) return resolve();
      boom.once('ready', () => resolve());
    });
  const flushStream = async () => {
    drain();
    await ready();
    await new Promise<void>((resolve) => {
      if (typeof boom.flush !== 'function') return resolve();
      try {
        boom.flush(() => resolve());
      } catch {
        resolve();
      }
    });
  };
  return {
    stream,
    write(record: AuditRecord) {
      if (sync) {
        stream.write(auditLine(record));
        return;
      }
      pending.push(record);
      if (pending.length >= batchSize) drain();
      else if (!timer) {
        timer = setTimeout(drain, interval);
        timer.unref();
      }
    },
    flush: flushStream,
    async close() {
      await flushStream();
      if (ownsStream && dest !== 1 && dest !== 2 && boom.end && boom.once) {
        const closed = new Promise<void>((resolve) => boom.once!('close', () => resolve()));
        boom.end();
        await closed;
      }
    },
  };
}

const num = (n: number) => (Number.isFinite(n) ? n : null);
const SAFE = /^[\w\-./:{}<>@~ ]*$/;
const str = (v: string) => (SAFE.test(v) ? `"${v}"` : JSON.stringify(v));

/**
 * A serialiser of audit records to JSON lines, fields in a fixed order, secrets in `meta` redacted.
 * Service names, route templates and role lists repeat on every line, so their JSON is kept, not rebuilt.
 * @example const line = createAuditLineSerializer(); line(record) // '{"level":30,"time":…,"msg":"GET /x 200","log":"audit",…}\n'
 */
export function createAuditLineSerializer(secretNames: ReadonlySet<string> = DEFAULT_SECRETS): (record: AuditRecord) => string {
  const strings = new Map<string, string>();
  const roleLists = new WeakMap<readonly string[], string>();
  const cached = (v: string) => {
    let out = strings.get(v);
    if (out === undefined) {
      out = str(v);
      if (strings.size < 1000) strings.set(v, out);
    }
    return out;
  };
  const roles = (list: readonly string[]) => {
    // Principals from the header resolver are frozen and shared, so their role lists are worth remembering.
    if (!Object.isFrozen(list)) return JSON.stringify(list);
    let out = roleLists.get(list);
    if (out === undefined) roleLists.set(list, (out = JSON.stringify(list)));
    return out;
  };
  // msg per path, method and status: looked up without building the text first.
  const messages = new Map<string, Map<string, Map<number, string>>>();
  const msg = (r: AuditRecord) => {
    let byMethod = messages.get(r.path);
    if (byMethod === undefined) {
      if (messages.size >= 1000) return str(`${r.method} ${r.path} ${r.status}`);
      messages.set(r.path, (byMethod = new Map()));
    }
    let byStatus = byMethod.get(r.method);
    if (byStatus === undefined) byMethod.set(r.method, (byStatus = new Map()));
    let out = byStatus.get(r.status);
    if (out === undefined && byStatus.size < 100) byStatus.set(r.status, (out = str(`${r.method} ${r.path} ${r.status}`)));
    return out ?? str(`${r.method} ${r.path} ${r.status}`);
  };
  // Records of one millisecond share their ts (the audit log stamps it from one clock reading): parsed once.
  let lastTs = '';
  let lastTime = '';
  let lastTsJson = '';
  return (r) => {
    if (r.ts !== lastTs) {
      lastTs = r.ts;
      lastTime = String(num(Date.parse(r.ts)));
      lastTsJson = str(r.ts);
    }
    // A pino line (level 30 = info, time in epoch ms, msg) so log pipelines read audit lines as the rest.
    let s = `{"level":30,"time":${lastTime},"msg":${msg(r)},"log":"audit","ts":${lastTsJson},"service":${cached(r.service)},"method":${cached(r.method)},"path":${cached(r.path)},"roles":${roles(r.roles)},"status":${num(r.status)},"client_ip":${str(r.client_ip)},"duration_ms":${num(r.duration_ms)}`;
    if (r.principal !== undefined) s += `,"principal":${JSON.stringify(r.principal)}`;
    if (r.trace_id !== undefined) s += `,"trace_id":${str(r.trace_id)}`;
    if (r.meta !== undefined) s += `,"meta":${JSON.stringify(redactDeep(r.meta, secretNames))}`;
    return `${s}}\n`;
  };
}

/**
 * Keeps the newest records in memory (tests, the dashboard).
 * @example const sink = memoryAuditSink({ max: 100 }); sink.records()
 */
export function memoryAuditSink(options: { max?: number } = {}): AuditSink & { records(): AuditRecord[]; clear(): void } {
  const max = options.max ?? 1000;
  let records: AuditRecord[] = [];
  return {
    write(record) {
      records.push(record);
      if (records.length > max * 2) records = records.slice(-max);
    },
    records: () => records.slice(-max),
    clear() {
      records = [];
    },
  };
}
