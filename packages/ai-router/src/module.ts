import { Gauge, sharedMetric, type Module } from '@aetherlink/core';
import { AI_EVENT_TYPES } from './events.js';
import { aiRoutes, type AiRoutesOptions } from './routes.js';
import type { Router } from './types.js';

export type AiRouterModuleOptions = AiRoutesOptions;

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * The AI router as a module: `/orchestrate`, `/providers/health` and the OpenAI-compatible gateway, the `ai.*`
 * event types, and per provider calls, failures, tokens and breaker state in `/metrics`. It closes the router.
 * @example createModuleHost({ modules: [aiRouterModule({ router: createRouter(routerOptionsFromConfig(config.ai, { bus })) })] })
 */
export function aiRouterModule(options: AiRouterModuleOptions): Module & { readonly router: Router } {
  const { router } = options;
  // Gauges read from the router's own counters at scrape time, so the call path pays nothing for them.
  const gauge = (registry: Parameters<NonNullable<Module['metrics']>>[0], name: string, help: string, read: (h: ReturnType<Router['health']>[string]) => number) =>
    sharedMetric(
      registry,
      name,
      () =>
        new Gauge({
          name,
          help,
          labelNames: ['provider'] as const,
          registers: [registry],
          collect() {
            for (const [provider, h] of Object.entries(router.health())) this.set({ provider }, read(h));
          },
        }),
    );
  return {
    name: 'ai-router',
    router,
    routes: aiRoutes(options),
    loops: [],
    eventTypes: AI_EVENT_TYPES,
    metrics(registry) {
      gauge(registry, 'aetherlink_ai_provider_calls', 'Calls made to each AI provider since start', (h) => h.total_calls);
      gauge(registry, 'aetherlink_ai_provider_failures', 'Failed calls to each AI provider since start', (h) => h.failed_calls);
      gauge(registry, 'aetherlink_ai_provider_tokens', 'Tokens (input + output) used with each AI provider since start', (h) => h.tokens.total);
      gauge(registry, 'aetherlink_ai_provider_breaker_state', 'Circuit breaker of each AI provider: 0 closed, 1 half open, 2 open', (h) => BREAKER_VALUE[h.breaker]);
    },
    close: () => router.close(),
  };
}
