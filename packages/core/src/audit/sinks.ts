import { pino, type DestinationStream } from 'pino';
import type { AuditRecord, AuditSink } from './audit-log.js';

/** Field names whose values never reach a log, at any depth pino's redaction reaches. */
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

/**
 * A copy of `value` with every property named like a secret replaced, at any depth.
 * @example redactDeep({ headers: { authorization: 'Bearer x' } }) // { headers: { authorization: '[redacted]' } }
 */
export function redactDeep(value: unknown, names: ReadonlySet<string> = new Set(SECRET_FIELDS), depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > 20) return value;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, names, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = names.has(k.toLowerCase()) ? REDACTED : redactDeep(v, names, depth + 1);
  return out;
}

/**
 * Pino redaction paths for SECRET_FIELDS at the top level and two levels down.
 * @example pino({ redact: { paths: secretRedactPaths(), censor: '[redacted]' } })
 */
export function secretRedactPaths(extra: readonly string[] = []): string[] {
  const names = [...SECRET_FIELDS, ...extra];
  const quoted = (n: string) => (/^[a-z_$][\w$]*$/i.test(n) ? n : `["${n}"]`);
  const join = (prefix: string, n: string) => (quoted(n).startsWith('[') ? `${prefix}${quoted(n)}` : `${prefix}.${n}`);
  return names.flatMap((n) => [quoted(n), join('*', n), join('*.*', n)]);
}

export interface PinoAuditSinkOptions {
  /** A file path, a file descriptor (1 = stdout), or a pino destination stream. Default stdout. */
  destination?: string | number | DestinationStream;
  /** Extra field names to redact besides SECRET_FIELDS. */
  redact?: string[];
  /** Write synchronously (tests, crash-sensitive setups). Default false: buffered, flushed on close. */
  sync?: boolean;
}

/**
 * Audit records as pino JSON lines, secrets redacted.
 * @example const sink = pinoAuditSink({ destination: './audit.log' })
 */
export function pinoAuditSink(options: PinoAuditSinkOptions = {}): AuditSink & { readonly logger: pino.Logger } {
  const dest = options.destination ?? 1;
  const secretNames = new Set([...SECRET_FIELDS, ...(options.redact ?? [])].map((n) => n.toLowerCase()));
  const stream =
    typeof dest === 'string' || typeof dest === 'number'
      ? pino.destination({ dest, sync: options.sync ?? false, minLength: options.sync ? 0 : 4096, mkdir: true })
      : dest;
  const logger = pino(
    {
      base: null,
      timestamp: false,
      messageKey: 'msg',
      // Marks audit lines apart from app logs when both go to stdout (and stands in for pino's level).
      formatters: { level: () => ({ log: 'audit' }) },
      serializers: { meta: (meta: unknown) => redactDeep(meta, secretNames) },
      redact: { paths: secretRedactPaths(options.redact), censor: REDACTED },
    },
    stream,
  );
  const flushStream = () =>
    new Promise<void>((resolve) => {
      const s = stream as { flush?: (cb?: (err?: Error) => void) => void };
      if (typeof s.flush !== 'function') return resolve();
      try {
        s.flush(() => resolve());
      } catch {
        resolve();
      }
    });
  return {
    logger,
    write(record: AuditRecord) {
      logger.info(record);
    },
    flush: flushStream,
    async close() {
      await flushStream();
      const s = stream as { end?: () => void; fd?: number };
      if (typeof dest !== 'object' && dest !== 1 && dest !== 2) s.end?.();
    },
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
