import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { memoryAuditSink, type AuditRecord } from '@aetherlink/core';
import { startListeningProcess, type ListeningProcess } from '@aetherlink/core/testing';
import { loadConfig } from '../src/config.js';
import { createCustomerOps, type CustomerOps, type CustomerOpsOverrides } from '../src/server.js';

export { startServer as startCommandCenter, type RunningServer } from '../../command-center/test/helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * A fresh SQLite path in a temp directory of its own.
 * @example const db = tempDb()
 */
export function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'customer-ops-')), 'crm.db');
}

export interface RunningOps {
  url: string;
  ops: CustomerOps;
  audit: () => AuditRecord[];
  /** Log lines, parsed. */
  logs: () => Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * customer-ops in this process on 127.0.0.1, port 0, with its own database; alone unless COMMAND_CENTER_URL is given.
 * @example const { url, close } = await startOps(); await fetch(`${url}/leads`)
 */
export async function startOps(env: Record<string, string> = {}, overrides: CustomerOpsOverrides = {}): Promise<RunningOps> {
  const sink = memoryAuditSink();
  const lines: string[] = [];
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', AUDIT_LOG: 'off', CRM_DB: tempDb(), COMMAND_CENTER_URL: 'none', FORWARD_INTERVAL_MS: '100', FORWARD_RETRY_MAX_MS: '500', ...env });
  const ops = await createCustomerOps(config, { auditSinks: [sink], logStream: { write: (line) => void lines.push(line) }, ...overrides });
  const url = await ops.listen();
  return {
    url,
    ops,
    audit: () => sink.records(),
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    close: () => ops.close(),
  };
}

/**
 * A JSON request with roles, answering status and parsed body.
 * @example const { status, body } = await call(url, 'POST', '/leads', { roles: 'agent', body: { name, email } })
 */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { roles?: string; body?: unknown } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (options.roles) headers['x-user-roles'] = options.roles;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

/** customer-ops as its own process: `stop()` is SIGTERM (SIGKILL after 15 s) and resolves with the exit code. */
export type OpsProcess = ListeningProcess;

/**
 * customer-ops as its own process (`src/main.ts` through tsx), for what only a process shows: signals.
 * @example const p = await startOpsProcess({ COMMAND_CENTER_URL: cc.url }); await p.stop()
 */
export function startOpsProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<OpsProcess> {
  return startListeningProcess({
    name: 'customer-ops',
    args: ['--import', 'tsx', '--conditions=@aetherlink/source', 'src/main.ts'],
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', AUDIT_LOG: 'off', CRM_DB: tempDb(), ...env },
    ready: /customer-ops listening on (http:\/\/[\d.:]+)/,
    timeoutMs,
    stopGraceMs: 15_000,
  });
}
