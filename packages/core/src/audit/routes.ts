import { z } from 'zod';
import { defineRoute, type AnyRouteSpec } from '../http/route.js';
import { PERMISSIONS } from '../rbac/policy.js';
import type { AuditLog } from './audit-log.js';

/**
 * `GET /audit/stats` (DESIGN §4), for operators.
 * @example routes.push(...auditRoutes({ audit }))
 */
export function auditRoutes(options: { audit: AuditLog }): AnyRouteSpec[] {
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
      handler: () => options.audit.stats(),
    }),
  ];
}
