// DESIGN §3 as data, written from the design (not from the server's policy), so the access matrix compares what is
// served with what was designed. Rules are tried in order; a route no rule states fails the matrix.
import type { Role } from './harness.js';

export interface AccessRule {
  methods: readonly string[];
  path: RegExp;
  permission: 'public' | 'ops:read' | 'ops:operate' | 'events:publish' | 'ai:invoke';
  /** Where the rule comes from: the §3 table, or why a route §3 does not name takes this permission. */
  why: string;
}

const GET = ['GET'];
const WRITE = ['POST', 'PUT', 'PATCH', 'DELETE'];

export const DESIGN_ACCESS: readonly AccessRule[] = [
  { methods: GET, path: /^\/(ops\/ping|ping|health|health\.json|metrics)$/, permission: 'public', why: '§3 public' },
  { methods: GET, path: /^\/(openapi\.json|docs)$/, permission: 'public', why: '§4 Docs: the API description is public like /ping' },
  { methods: GET, path: /^\/ops\/auth$/, permission: 'public', why: 'how to sign in is needed before signing in' },
  { methods: ['POST'], path: /^\/events\/publish$/, permission: 'events:publish', why: '§3 events:publish' },
  { methods: GET, path: /^\/events\/(recent|stats|stream|schema(\/.*)?)$/, permission: 'ops:read', why: '§3 ops:read' },
  { methods: GET, path: /^\/autoheal(\/.*)?$/, permission: 'ops:read', why: '§3 ops:read /autoheal/*' },
  { methods: WRITE, path: /^\/autoheal(\/.*)?$/, permission: 'ops:operate', why: '§3 autoheal maintenance/silence writes' },
  { methods: GET, path: /^\/providers\/health$/, permission: 'ops:read', why: '§3 ops:read' },
  { methods: ['POST'], path: /^\/alerts\/rules\/preview$/, permission: 'ops:read', why: '§4 backtest: a read over past events, it stores nothing' },
  { methods: GET, path: /^\/alerts\/rules(\/.*)?$/, permission: 'ops:read', why: '§3 ops:read /alerts/rules*' },
  { methods: WRITE, path: /^\/alerts\/rules(\/.*)?$/, permission: 'ops:operate', why: '§3 alert rule writes' },
  { methods: ['POST'], path: /^\/alerts\/evaluate$/, permission: 'ops:operate', why: '§3 POST /alerts/evaluate' },
  { methods: GET, path: /^\/alerts\/templates$/, permission: 'ops:read', why: '§3 ops:read' },
  { methods: ['POST'], path: /^\/alerts\/templates\/[^/]+\/materialize$/, permission: 'ops:operate', why: '§3 template materialize' },
  { methods: ['POST'], path: /^\/alerts\/deliveries\/([^/]+\/replay|replay-bulk)$/, permission: 'ops:operate', why: '§3 delivery replay' },
  { methods: GET, path: /^\/alerts\/deliveries(\/.*)?$/, permission: 'ops:read', why: '§3 ops:read /alerts/deliveries*' },
  { methods: GET, path: /^\/alerts\/(active|silences(\/[^/]+)?|endpoints(\/.*)?)$/, permission: 'ops:read', why: 'alert state, silences and endpoints are reads of the ops plane' },
  { methods: GET, path: /^\/alerts\/rules\/[^/]+\/alerts$/, permission: 'ops:read', why: 'alert state is a read of the ops plane' },
  { methods: WRITE, path: /^\/alerts\/(silences|endpoints)(\/.*)?$/, permission: 'ops:operate', why: 'silence and endpoint writes are ops-plane writes like rule writes' },
  { methods: GET, path: /^\/ops\/(health|services)$/, permission: 'ops:operate', why: '§3 ops:operate' },
  { methods: ['POST'], path: /^\/ops\/register$/, permission: 'ops:operate', why: '§3 ops:operate' },
  { methods: ['DELETE'], path: /^\/ops\/services\/[^/]+$/, permission: 'ops:operate', why: '§3 ops:operate' },
  { methods: GET, path: /^\/ops\/services\/[^/]+$/, permission: 'ops:operate', why: 'one service reads like the list (§3 ops:operate)' },
  { methods: ['PUT'], path: /^\/ops\/services\/[^/]+\/(heartbeat|maintenance)$/, permission: 'ops:operate', why: 'registry writes, like POST /ops/register' },
  { methods: GET, path: /^\/ops\/instance$/, permission: 'ops:operate', why: 'where the data lives is for operators' },
  { methods: GET, path: /^\/ops\/me$/, permission: 'ops:read', why: 'every role of §3 may ask who it is' },
  { methods: GET, path: /^\/audit\/(stats|records)$/, permission: 'ops:operate', why: '§3 GET /audit/stats (the audit trail it counts, GET /audit/records, is read with the same permission)' },
  { methods: ['POST'], path: /^\/(orchestrate|v1\/chat\/completions)$/, permission: 'ai:invoke', why: '§3 ai:invoke' },
  { methods: GET, path: /^\/v1\/models$/, permission: 'ai:invoke', why: '§3 ai:invoke' },
];

/** The roles of §3 and what each grants. */
export const DESIGN_ROLES: Record<Role, readonly AccessRule['permission'][]> = {
  viewer: ['ops:read'],
  agent: ['ops:read', 'events:publish', 'ai:invoke'],
  operator: ['ops:read', 'ops:operate', 'events:publish', 'ai:invoke'],
  admin: ['ops:read', 'ops:operate', 'events:publish', 'ai:invoke'],
};

/**
 * The rule of §3 for one operation, or undefined when the design states none.
 * @example designRule('GET', '/audit/stats')?.permission // 'ops:operate'
 */
export function designRule(method: string, path: string): AccessRule | undefined {
  return DESIGN_ACCESS.find((r) => r.methods.includes(method) && r.path.test(path));
}

/** Whether the role may call a route of this permission under §3. */
export function designAllows(role: Role | 'anonymous', permission: AccessRule['permission']): boolean {
  if (permission === 'public') return true;
  return role !== 'anonymous' && DESIGN_ROLES[role].includes(permission);
}
