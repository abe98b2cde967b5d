// Things for path parameters to name, so requests reach the handler (and its writes) instead of stopping at a 404.
import { fillPath } from './harness.js';

const ADMIN = { 'x-user-roles': 'admin', 'content-type': 'application/json' };

/**
 * Registers a service, creates a rule and a silence, and reads a template id; returns them by path prefix.
 * @example const f = await createFixtures(url); pathFor('/alerts/rules/{id}', f)
 */
export async function createFixtures(url: string): Promise<Record<string, string>> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: ADMIN, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`fixture ${path} → ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, any>;
  };
  await post('/ops/register', { name: 'hardening-x', url: 'http://10.0.0.7:8080' });
  const rule = await post('/alerts/rules', { name: 'hardening rule', window_seconds: 60, threshold: 5 });
  const silence = await post('/alerts/silences', { matchers: { source: 'hardening' }, ends_at: new Date(Date.now() + 3_600_000).toISOString() });
  const templates = (await (await fetch(`${url}/alerts/templates`, { headers: ADMIN })).json()) as { templates: { id: string }[] };
  return {
    '/ops/services/': 'hardening-x',
    '/alerts/rules/': rule.id as string,
    '/alerts/silences/': silence.id as string,
    '/alerts/templates/': templates.templates[0]!.id,
  };
}

/** The path with its parameter filled from the fixtures (by prefix), else with a name nothing has. */
export function pathFor(path: string, fixtures: Record<string, string>): string {
  const prefix = Object.keys(fixtures).find((p) => path.startsWith(p));
  return fillPath(path, prefix ? fixtures[prefix] : 'hardening-x');
}
