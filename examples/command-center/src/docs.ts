import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { defineRoute, reply, type AnyRouteSpec } from '@aetherlink/core';
import { z } from 'zod';

const DIR = new URL('./docs/', import.meta.url);

// Scalar's standalone browser bundle. The build copies it beside this file (dist/docs/scalar.js), so the published
// server and the container carry that one file and none of the package's own dependencies; from source it comes from
// the installed package (its exports do not name the file).
const BUILT_SCALAR = new URL('scalar.js', DIR);
const scalarBundle = () =>
  readFileSync(
    existsSync(BUILT_SCALAR) ? BUILT_SCALAR : new URL('./browser/standalone.js', pathToFileURL(createRequire(import.meta.url).resolve('@scalar/api-reference'))),
  );

// The viewer runs under the same rules as the dashboard: scripts only from here, data only from this API. Scalar
// sets styles inline, and draws icons as data: images.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

let bundle: Buffer | undefined;

/**
 * `GET /docs`: the OpenAPI document rendered by a self-hosted viewer, public like `/openapi.json`. The 4.7 MB
 * bundle is read on its first request, not at start.
 * @example routes.push(...docsRoutes())
 */
export function docsRoutes(): AnyRouteSpec[] {
  const page = readFileSync(new URL('index.html', DIR), 'utf8');
  const init = readFileSync(new URL('docs.js', DIR), 'utf8');
  return [
    defineRoute({
      method: 'GET',
      path: '/docs',
      permission: 'public',
      operationId: 'getApiDocs',
      summary: 'This API, rendered for people (the viewer is served from here; nothing loads from elsewhere)',
      tags: ['docs'],
      response: z.string().describe('An HTML page'),
      openapi: { contentType: 'text/html' },
      handler: () => reply(200, page, { ...SECURITY_HEADERS, 'cache-control': 'no-cache' }, 'text/html; charset=utf-8'),
    }),
    defineRoute({
      method: 'GET',
      path: '/docs/docs.js',
      permission: 'public',
      openapi: { hidden: true },
      handler: () => reply(200, init, { ...SECURITY_HEADERS, 'cache-control': 'no-cache' }, 'text/javascript; charset=utf-8'),
    }),
    defineRoute({
      method: 'GET',
      path: '/docs/scalar.js',
      permission: 'public',
      openapi: { hidden: true },
      handler: () => reply(200, (bundle ??= scalarBundle()), { ...SECURITY_HEADERS, 'cache-control': 'public, max-age=86400' }, 'text/javascript; charset=utf-8'),
    }),
  ];
}
