// @ts-check
// The shapes of the HTTP API the dashboard reads (DESIGN §4), for the type checker only: nothing here runs.

/** @typedef {'info' | 'warning' | 'error' | 'critical'} Severity */
/** @typedef {Record<Severity, number>} SeverityCounts */
/** @typedef {'ok' | 'degraded' | 'down' | 'maintenance'} HealthStatus */

/**
 * `GET /ops/auth` (public): how this server finds who is asking.
 * @typedef {{ mode: 'header' | 'jwt', header?: string, roles: string[] }} AuthInfo
 */

/**
 * `GET /ops/me`: who is asking, and whether each "METHOD /path" of the server is theirs to call.
 * @typedef {{ id: string | null, via: string, roles: string[], permissions: string[], routes: Record<string, boolean> }} Me
 */

/** @typedef {{ status: 'ok', service: string, version: string }} Ping */

/**
 * `GET /events/stats`, with `series` when asked with `bucket` and `since`.
 * @typedef {{ total: number, last_24h: number, by_severity: SeverityCounts, series?: EventSeries }} EventStats
 */
/** @typedef {SeverityCounts & { start: string }} SeriesBucket */
/** @typedef {{ bucket: string, bucket_ms: number, since: string, until: string, buckets: SeriesBucket[] }} EventSeries */

/**
 * An event as the API returns it (CloudEvents 1.0 plus severity).
 * @typedef {{
 *   specversion: string, id: string, source: string, type: string, time: string, datacontenttype: string,
 *   data: unknown, severity: Severity, tenantid?: string, subject?: string, traceparent?: string, received_at?: string
 * }} PublicEvent
 */
/** @typedef {{ events: PublicEvent[], count: number, next_cursor: string | null }} EventPage */

/** @typedef {{ name: string, status: HealthStatus, latency_ms: number | null, error: string | null, checked_at: string | null }} ServiceHealth */
/** `GET /ops/health` @typedef {{ status: HealthStatus, checked_at: string, services: ServiceHealth[] }} HealthReport */
/**
 * A registered service as `GET /ops/services` lists it.
 * @typedef {{
 *   name: string, url: string, health_url: string, version: string | null, roles_required: string[], tags: string[],
 *   last_seen: string, status: HealthStatus, status_since: string, registered_at: string, ttl_seconds: number | null,
 *   lease_expires_at: string | null
 * }} ServiceView
 */
/** @typedef {{ count: number, index: number, services: ServiceView[] }} ServiceList */

/**
 * One AI provider in `GET /providers/health`.
 * @typedef {{
 *   healthy: boolean, last_error: string | null, last_checked: string | null, total_calls: number, failed_calls: number,
 *   breaker: 'closed' | 'open' | 'half_open', reopens_at: string | null, p50_ms: number | null, p95_ms: number | null,
 *   tokens?: { input: number, output: number, total: number }, vendor?: string, model?: string | null
 * }} ProviderHealth
 */

/**
 * `GET /audit/stats`.
 * @typedef {{ total_requests: number, denied_401_unauthorized: number, denied_403_forbidden: number, by_path: Record<string, number>, by_status: Record<string, number> }} AuditStats
 */

/** An `application/problem+json` answer. @typedef {{ title?: string, status?: number, detail?: string, code?: string, errors?: { field: string, message: string }[] }} Problem */

// ---- the dashboard's own shapes

/**
 * What a panel is given when mounted.
 * @typedef {object} PanelContext
 * @property {import('./api.js').Api} api
 * @property {Me} me
 * @property {(route: string) => boolean} may True when the signed-in principal may call "METHOD /path".
 * @property {(route: string) => boolean} has True when this server serves "METHOD /path".
 * @property {import('./events.js').LiveEvents} live The one live stream every panel shares.
 * @property {(detail: { title: string, facts: [string, string | undefined | null][], json: unknown }) => void} openDrawer
 * @property {(message: string) => void} toast
 */

/**
 * A mounted panel.
 * @typedef {object} PanelInstance
 * @property {() => Promise<void>} refresh Loads the panel's data again.
 * @property {() => void} [dispose] Stops whatever the panel started (streams, observers).
 */

/**
 * One panel of the dashboard: the entry lists them; each lives in its own file under panels/.
 * @typedef {object} PanelDefinition
 * @property {string} id
 * @property {string} title
 * @property {'overview' | 'events' | 'autoheal' | 'alerts'} view Which tab it sits on.
 * @property {string[]} requires "METHOD /path" routes without which it shows nothing (and asks for nothing).
 * @property {string} [source] What serves the routes, named when they are missing ("the auto-heal module").
 * @property {'wide' | 'full'} [size]
 * @property {boolean} [followsEvents] Refreshed (debounced) when live events arrive.
 * @property {(section: HTMLElement, ctx: PanelContext) => PanelInstance} mount
 */

export {};
