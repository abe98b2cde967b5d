import { z } from 'zod';
import { defineRoute, type AnyRouteSpec } from '../http/route.js';
import { PERMISSIONS } from '../rbac/policy.js';
import type { AuditLog } from './audit-log.js';

/** The methods that change something: `writes=true` keeps these, the operators' actions. */
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE'] as const;
const MAX_RECORDS = 200;

const recordSchema = z.object({
  seq: z.number(),
  ts: z.string(),
  service: z.string(),
  method: z.string(),
  path: z.string().describe('the route template, e.g. /alerts/deliveries/{id}/replay'),
  roles: z.array(z.string()),
  status: z.number(),
  client_ip: z.string(),
  duration_ms: z.number(),
  principal: z.string().optional(),
  trace_id: z.string().optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});

/**
 * `GET /audit/stats` (DESIGN §4) and, when the audit log keeps a store, `GET /audit/records` (the trail itself,
 * newest first), for operators.
 * @example routes.push(...auditRoutes({ audit }))
 */
export function auditRoutes(options: { audit: AuditLog }): AnyRouteSpec[] {
  const { audit } = options;
  const query = audit.query?.bind(audit);
  return [
    defineRoute({
      method: 'GET',
      path: '/audit/stats',
      permission: PERMISSIONS.opsOperate,
      operationId: 'getAuditStats',
      summary: 'Request counts: total, denied (401/403), by path, by status',
      tags: ['audit'],
      response: z.object({
        total_requests: z.number(),
        denied_401_unauthorized: z.number(),
        denied_403_forbidden: z.number(),
        by_path: z.record(z.string(), z.number()),
        by_status: z.record(z.string(), z.number()),
      }),
      handler: () => audit.stats(),
    }),
    ...(query
      ? [
          defineRoute({
            method: 'GET',
            path: '/audit/records',
            permission: PERMISSIONS.opsOperate,
            operationId: 'listAuditRecords',
            summary: 'The audit trail, newest first: who called which route, when, and what it answered',
            description: 'writes=true keeps the requests that change something (POST, PUT, PATCH, DELETE); path narrows to some routes (the operators’ actions: the ops plane’s writes). Page with before=next_before.',
            tags: ['audit'],
            query: z.object({
              limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').max(MAX_RECORDS, `must be at most ${MAX_RECORDS}`).default(50),
              before: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be at least 1').optional().describe('next_before of the previous page'),
              writes: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
              path: z
                .string()
                .min(1)
                .max(8000)
                .optional()
                .transform((v) => (v === undefined ? undefined : [...new Set(v.split(',').map((p) => p.trim()).filter(Boolean))]))
                .describe('route templates, comma-separated: e.g. /alerts/deliveries/replay-bulk,/alerts/rules/{id}'),
              status: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(100, 'must be an HTTP status').max(599, 'must be an HTTP status').optional(),
              since: z.string().min(1).max(64).optional().describe('ISO 8601 time'),
            }),
            response: z.object({ records: z.array(recordSchema), next_before: z.number().nullable() }),
            handler: async ({ query: q }) => {
              const records = await query({
                limit: q.limit,
                ...(q.before !== undefined ? { before: q.before } : {}),
                ...(q.writes === 'true' ? { methods: WRITES } : {}),
                ...(q.path !== undefined ? { paths: q.path } : {}),
                ...(q.status !== undefined ? { status: q.status } : {}),
                ...(q.since !== undefined ? { since: q.since } : {}),
              });
              return { records, next_before: records.length === q.limit ? records.at(-1)!.seq : null };
            },
          }),
        ]
      : []),
  ];
}
