import type { Module } from '../runtime/module.js';
import type { AuditLog } from './audit-log.js';
import { auditRoutes } from './routes.js';

/**
 * The audit trail's routes as a module. The audit log itself is a shared service the app hands to its HTTP
 * adapter and closes last.
 * @example createModuleHost({ modules: [auditModule({ audit }), ...] })
 */
export function auditModule(options: { audit: AuditLog }): Module {
  return { name: 'audit', routes: auditRoutes(options), loops: [], eventTypes: [], close: () => undefined };
}
