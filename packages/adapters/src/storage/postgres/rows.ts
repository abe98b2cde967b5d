import { timeParam } from '@aetherlink/core';

// Small conversions between node-postgres values and the stores' JSON shapes.

/** A timestamptz (parsed by node-postgres as a Date) as the ISO string the stores hand out. */
export const isoOf = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();

/** A nullable timestamptz as an ISO string or null. */
export const isoOrNull = (value: Date | string | null): string | null => (value === null ? null : isoOf(value));

/** bigint columns arrive as strings; counts and seqs here stay far below 2^53. */
export const int = (value: string | number | bigint): number => Number(value);

/** A JSON document as a query parameter (node-postgres would turn a JS array into a PostgreSQL array). */
export const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));

export { timeParam };

/** `timeParam` for nullable values. */
export const timeParamOrNull = (value: string | null | undefined, field: string): string | null =>
  value === null || value === undefined ? null : timeParam(value, field);
