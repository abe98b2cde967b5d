import { buildOpenApi, isAetherError, isHttpResult, statusForCode, type AnyRouteSpec } from '@aetherlink/core';

// Routes whose every answer is held to what the OpenAPI document says of it: the success status, a body its response
// schema parses without dropping a field, and, for errors the handler throws, a status the document lists.

/** Routes to mount, and what they answered that the document does not say (empty when all is well). */
export interface RouteConformance {
  routes: AnyRouteSpec[];
  problems: string[];
}

type Operation = { responses: Record<string, unknown> };

const sorted = (value: unknown): unknown =>
  Array.isArray(value) ? value.map(sorted) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sorted(v)])) : value;

/**
 * Wraps each route's handler to check its answers against the generated document.
 * @example const checked = conformingRoutes(mod.routes); app.register(aetherlinkFastify, { routes: checked.routes }); …; expect(checked.problems).toEqual([])
 */
export function conformingRoutes(routes: readonly AnyRouteSpec[]): RouteConformance {
  const doc = buildOpenApi(routes, { title: 'conformance', version: '0' }) as { paths: Record<string, Record<string, Operation>> };
  const problems: string[] = [];
  const wrapped = routes.map((route): AnyRouteSpec => {
    const where = `${route.method} ${route.path}`;
    const documented = Object.keys(doc.paths[route.path]?.[route.method.toLowerCase()]?.responses ?? {});
    const success = documented.find((s) => s.startsWith('2'));
    return {
      ...route,
      handler: async (ctx) => {
        let out: unknown;
        try {
          out = await route.handler(ctx);
        } catch (error) {
          const status = isAetherError(error) ? String(statusForCode(error.code)) : '500';
          if (!documented.includes(status)) problems.push(`${where} answered ${status}, which its document does not list (${documented.join(', ')})`);
          throw error;
        }
        const status = String(isHttpResult(out) ? out.status : 200);
        if (status !== success) problems.push(`${where} answered ${status}; its document says ${success}`);
        const body = JSON.parse(JSON.stringify((isHttpResult(out) ? out.body : out) ?? null)) as unknown;
        const parsed = route.response?.safeParse(body);
        if (!parsed?.success) problems.push(`${where}: the answer does not match its response schema: ${parsed?.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
        else if (JSON.stringify(sorted(parsed.data)) !== JSON.stringify(sorted(body))) problems.push(`${where}: the answer has fields its response schema does not name, or lacks ones it defaults`);
        return out;
      },
    };
  });
  return { routes: wrapped, problems };
}
