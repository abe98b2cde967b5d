import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineRoute, reply, type AnyRouteSpec } from '@aetherlink/core';

const DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

/** What the dashboard is made of; anything else in the directory (notes, type declarations) is not served. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// Scripts and styles come only from this server; data only from its own API.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** Every servable file under `dir`, as paths relative to it with `/` separators. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && TYPES[extname(entry.name)] !== undefined)
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * The operator dashboard: every file of `src/dashboard/` (ES modules, no build step) read once at start and
 * served publicly under `/dashboard/`, the page itself at `/` too. The data behind it is not public.
 * @example routes.push(...dashboardRoutes())
 */
export function dashboardRoutes(dir = DIR): AnyRouteSpec[] {
  const page = (path: string, file: string) => {
    const type = TYPES[extname(file)]!;
    const body = type.startsWith('text/') || type === 'image/svg+xml' ? readFileSync(join(dir, file), 'utf8') : readFileSync(join(dir, file));
    return defineRoute({
      method: 'GET',
      path,
      permission: 'public',
      summary: 'Operator dashboard',
      openapi: { hidden: true },
      handler: () => reply(200, body, SECURITY_HEADERS, type),
    });
  };
  return [page('/', 'index.html'), page('/dashboard', 'index.html'), ...filesUnder(dir).map((file) => page(`/dashboard/${file}`, file))];
}
