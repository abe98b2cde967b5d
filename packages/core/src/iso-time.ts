// `Date.prototype.toISOString` is a runtime call in V8 (1.2 µs a call in a loop on the bench machine, more under
// load: the largest single cost in building an event), and a publish formats two times of the same instant. Times within the second
// formatted last are built from its cached prefix instead, and read back from it.
let second = Number.NaN;
let prefix = '';
// The last time formatted: a publish formats its instant twice and its store reads it back.
let lastMs = Number.NaN;
let lastIso = '';

/**
 * `new Date(ms).toISOString()`, the same string for every input (RangeError for an invalid time), from a cache of
 * the last second formatted.
 * @example isoTime(Date.UTC(2026, 11, 1, 5, 30, 12, 7)) // '2026-12-01T05:30:12.007Z'
 */
export function isoTime(ms: number): string {
  const t = Math.trunc(ms);
  if (t === lastMs) return lastIso;
  const s = Math.floor(t / 1000);
  if (s !== second) {
    const iso = new Date(t).toISOString();
    // Years 0000–9999 only: the others take the six-digit form, of another length.
    if (iso.length === 24) {
      second = s;
      prefix = iso.slice(0, 20);
      lastMs = t;
      lastIso = iso;
    }
    return iso;
  }
  const milli = t - s * 1000;
  lastMs = t;
  lastIso = `${prefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  return lastIso;
}

/**
 * Epoch ms of a `…SS.mmmZ` time inside the second `isoTime` formatted last (what it just wrote, read back without
 * a parse); undefined for any other string.
 * @example cachedIsoMs(isoTime(now)) === now
 */
export function cachedIsoMs(value: string): number | undefined {
  if (value === lastIso) return prefix === '' ? undefined : lastMs;
  if (prefix === '' || value.length !== 24 || value.charCodeAt(23) !== 90 || !value.startsWith(prefix)) return undefined;
  const a = value.charCodeAt(20) - 48;
  const b = value.charCodeAt(21) - 48;
  const c = value.charCodeAt(22) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9 || c < 0 || c > 9) return undefined;
  return second * 1000 + a * 100 + b * 10 + c;
}
