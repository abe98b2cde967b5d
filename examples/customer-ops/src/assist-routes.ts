import { AetherError, defineRoute, fieldErrorsFromZod, reply, type AnyRouteSpec } from '@aetherlink/core';
import type { Lead as ExtractedLead, Router } from '@aetherlink/ai-router';
import { z } from 'zod';
import { CRM_PERMISSIONS } from './policy.js';
import { leadInputSchema, leadSchema, type Lead } from './schemas.js';
import type { CrmStore, EventFor } from './store/store.js';

export interface AssistRoutesOptions {
  store: CrmStore;
  /** Serves `extract-lead` and `summarize-activity`. */
  router: Router;
  leadCreated?: EventFor<Lead>;
  afterCreate?: () => void;
}

const routed = { used_provider: z.string(), latency_ms: z.number(), attempts: z.number() };
const SUMMARY_ACTIVITIES = 50;

/**
 * The CRM's AI assistant: a lead from free text (`extract-lead`, the model's answer validated against the lead
 * schema, optionally saved) and a summary of a lead's activity (`summarize-activity`), through the AI router's
 * fallback chain. Agents only (`crm:assist`); every provider failing answers 502 naming each one's error.
 * @example routes.push(...assistRoutes({ store, router }))
 */
export function assistRoutes(options: AssistRoutesOptions): AnyRouteSpec[] {
  const { store, router } = options;
  return [
    defineRoute({
      method: 'POST',
      path: '/leads/extract',
      permission: CRM_PERMISSIONS.assist,
      summary: 'Extract a lead from free text (an email, a call note); save: true also creates it',
      tags: ['crm', 'ai'],
      body: z.strictObject({
        text: z.string().trim().min(1, 'must not be empty').max(20_000, 'must be at most 20000 characters'),
        save: z.boolean().default(false),
      }),
      response: z.object({ extracted: z.record(z.string(), z.unknown()), lead: leadSchema.optional(), ...routed }),
      handler: async ({ body, signal }) => {
        const result = await router.run<ExtractedLead>('extract-lead', { text: body.text }, { signal });
        const meta = { used_provider: result.used_provider, latency_ms: result.latency_ms, attempts: result.attempts.length };
        if (!body.save) return { extracted: result.output, ...meta };
        // The router validated the model's answer as a lead; the CRM's own rules (lengths, say) still apply.
        const input = leadInputSchema.safeParse({ ...result.output, source: 'ai' });
        if (!input.success) {
          throw new AetherError('upstream_failed', 'the extracted lead does not fit the CRM: not saved', {
            details: { extracted: result.output, ...meta },
            errors: fieldErrorsFromZod(input.error, { prefix: 'extracted' }),
          });
        }
        const lead = store.createLead(input.data, options.leadCreated);
        options.afterCreate?.();
        return reply(201, { extracted: result.output, lead, ...meta }, { location: `/leads/${lead.id}` });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/leads/{id}/summary',
      permission: CRM_PERMISSIONS.assist,
      summary: 'Summarize a lead’s latest activities (publishes ai.summary.created)',
      tags: ['crm', 'ai'],
      params: z.object({ id: z.string().min(1).max(64) }),
      body: z.strictObject({ max_words: z.number().int().min(5).max(1000).default(80) }).default({ max_words: 80 }),
      response: z.object({ lead_id: z.string(), summary: z.string(), activities: z.number(), ...routed }),
      handler: async ({ params, body, signal }) => {
        if (!store.getLead(params.id)) throw new AetherError('not_found', `no lead with id "${params.id}"`, { details: { id: params.id } });
        const activities = store.recentActivities(params.id, SUMMARY_ACTIVITIES);
        if (activities.length === 0) throw new AetherError('conflict', 'the lead has no activities to summarize yet', { details: { id: params.id } });
        const result = await router.run<{ summary: string }>(
          'summarize-activity',
          { activities: activities.map((a) => ({ type: a.type, at: a.occurred_at, note: a.note })), max_words: body.max_words, subject_id: params.id },
          { signal },
        );
        return {
          lead_id: params.id,
          summary: result.output.summary,
          activities: activities.length,
          used_provider: result.used_provider,
          latency_ms: result.latency_ms,
          attempts: result.attempts.length,
        };
      },
    }),
  ];
}
