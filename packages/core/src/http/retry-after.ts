/** Response headers as Node gives them (lower-case names), or a fetch `Headers`. */
export type HeaderSource = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>;

const read = (headers: HeaderSource, name: string): string | undefined => {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name];
  return typeof value === 'string' ? value : value?.[0];
};

/**
 * Milliseconds a server asked us to wait: `retry-after-ms` (OpenAI's), else `retry-after` in (fractional)
 * seconds or as an HTTP date. Undefined when absent or unreadable.
 * @example parseRetryAfter({ 'retry-after': '2' }, Date.now()) // 2000
 */
export function parseRetryAfter(headers: HeaderSource, now: number): number | undefined {
  const ms = read(headers, 'retry-after-ms')?.trim();
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = read(headers, 'retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
