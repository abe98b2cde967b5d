import { AetherError, isAetherError, type CheckedPurge } from '@aetherlink/core';
import type { EventOutcome, EventRow, EventWire } from './event-writes.js';

// The messages between a process's stores and its SQLite writer thread. Errors cross as plain data and come
// back as AetherErrors (code, details, field errors) or plain Errors (name, message, SQLite code).

/** The stores whose writes the writer thread makes; their reads stay with the caller. */
export type WriteStore = 'audit' | 'registry' | 'documents' | 'deliveries' | 'heal';

/** The write methods the writer thread makes for each store; every other method reads, on the caller's thread. */
export const WRITE_METHODS: Readonly<Record<WriteStore, readonly string[]>> = {
  audit: ['append', 'purge'],
  registry: ['upsert', 'patch', 'remove'],
  documents: ['put', 'remove'],
  deliveries: ['enqueue', 'lease', 'settle', 'cancel', 'releaseExpired', 'replay', 'purgeFinished', 'purgeDeadLetters'],
  heal: ['append', 'purge'],
};

/** Runs `writerSetup.module`'s default export with the write connection once the file is open. */
export interface WriterSetup {
  /** A module URL or absolute path, imported inside the writer thread. */
  module: string;
  /** Handed to the module's default export (anything structured clone carries, e.g. a SharedArrayBuffer). */
  data?: unknown;
}

export interface OpenRequest {
  op: 'open';
  path: string;
  synchronous?: 'FULL' | 'NORMAL';
  busyTimeoutMs?: number;
  setup?: WriterSetup;
}

export type Request =
  | OpenRequest
  | { op: 'call'; handle: number; store: WriteStore; method: string; args: unknown[]; now: number }
  | { op: 'append'; handle: number; batch: EventWire[] }
  | { op: 'purge-events'; handle: number; request: CheckedPurge }
  | { op: 'pragma'; handle: number; source: string }
  | { op: 'close'; handle: number };

export type Reply = { id: number; ok: true; value: unknown; commits?: number } | { id: number; ok: false; error: WireError };

/**
 * A batch's event outcomes as they cross threads: every seq in one typed array (0 where the event was not
 * inserted), moved rather than copied, and the few others (a duplicate's stored row, a refusal) by index. An
 * array of small objects cost the writer a third as much again as the inserts themselves to send.
 */
export interface PackedOutcomes {
  seqs: Float64Array<ArrayBuffer>;
  others: [index: number, outcome: { row: EventRow } | { error: WireError }][];
}

/**
 * Packs a batch's outcomes for the trip back; the seqs' buffer goes in the transfer list.
 * @example const packed = packOutcomes(outcomes); port.postMessage({ value: packed }, [packed.seqs.buffer])
 */
export function packOutcomes(outcomes: readonly EventOutcome[]): PackedOutcomes {
  const seqs = new Float64Array(outcomes.length);
  const others: PackedOutcomes['others'] = [];
  outcomes.forEach((o, i) => {
    if ('seq' in o) seqs[i] = o.seq;
    else others.push([i, 'row' in o ? o : { error: toWire(o.error) }]);
  });
  return { seqs, others };
}

/**
 * The outcomes a PackedOutcomes carries, errors rebuilt on this side.
 * @example const outcomes = unpackOutcomes(reply.value as PackedOutcomes)
 */
export function unpackOutcomes(packed: PackedOutcomes): EventOutcome[] {
  const out: EventOutcome[] = Array.from(packed.seqs, (seq) => ({ seq }));
  for (const [i, o] of packed.others) out[i] = 'row' in o ? o : { error: fromWire(o.error) };
  return out;
}

export interface WireError {
  aether: boolean;
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
  errors?: { field: string; message: string; in?: string }[];
  cause?: WireError;
}

/**
 * An error as data another thread can receive.
 * @example port.postMessage({ ok: false, error: toWire(error) })
 */
export function toWire(error: unknown, depth = 0): WireError {
  if (isAetherError(error)) {
    return {
      aether: true,
      name: error.name,
      message: error.message,
      code: error.code,
      ...(error.details ? { details: error.details } : {}),
      ...(error.errors ? { errors: error.errors } : {}),
      ...(error.cause !== undefined && depth < 3 ? { cause: toWire(error.cause, depth + 1) } : {}),
    };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { aether: false, name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { aether: false, name: 'Error', message: String(error) };
}

/**
 * The error a WireError describes, rebuilt on this side.
 * @example reject(fromWire(reply.error))
 */
export function fromWire(wire: WireError): Error {
  const cause = wire.cause ? fromWire(wire.cause) : undefined;
  if (wire.aether) {
    return new AetherError(wire.code ?? 'internal', wire.message, {
      ...(cause ? { cause } : {}),
      ...(wire.details ? { details: wire.details } : {}),
      ...(wire.errors ? { errors: wire.errors } : {}),
    });
  }
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.code !== undefined) Object.assign(error, { code: wire.code });
  return error;
}
