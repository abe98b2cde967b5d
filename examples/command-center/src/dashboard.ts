import { readFileSync } from 'node:fs';
import { defineRoute, reply, type AnyRouteSpec } from '@aetherlink/core';

const DIR = new URL('./dashboard/', import.meta.url);
const FILES = [
  { path: '/', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/dashboard', file: 'index.html', type: 'text/html; charset=utf-8' },
  { path: '/dashboard/app.js', file: 'app.js', type: 'text/javascript; charset=utf-8' },
  { path: '/dashboard/app.css', file: 'app.css', type: 'text/css; charset=utf-8' },
];

// Scripts and styles come only from this server; data only from its own API.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The operator dashboard: static files read once at start, served publicly (the data behind them is not).
 * @example routes.push(...dashboardRoutes())
 */
export function dashboardRoutes(): AnyRouteSpec[] {
  return FILES.map(({ path, file, type }) => {
    const body = readFileSync(new URL(file, DIR), 'utf8');
    return defineRoute({
      method: 'GET',
      path,
      permission: 'public',
      summary: 'Operator dashboard',
      openapi: { hidden: true },
      handler: () => reply(200, body, SECURITY_HEADERS, type),
    });
  });
}
