/** Epoch milliseconds as the ISO 8601 strings records carry. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** An ISO time back to epoch milliseconds; NaN when it is not one. */
export const ms = (value: string): number => Date.parse(value);
