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

// ---- alerting (@aetherlink/alerts)

/** @typedef {'pending' | 'delivering' | 'delivered' | 'retrying' | 'dead_letter' | 'cancelled'} DeliveryStatus */

/**
 * A delivery as the list routes show it (`GET /alerts/deliveries/history`): no body; `endpoint` cut to its host.
 * @typedef {{
 *   id: string, webhook_id: string, endpoint: string, endpoint_id: string | null, status: DeliveryStatus,
 *   attempts: number, max_attempts: number, next_attempt_at: string | null, lease_owner: string | null,
 *   leased_until: string | null, last_error: string | null, last_status_code: number | null,
 *   event_type: string | null, event_id: string | null, rule_id: string | null, tenantid: string | null,
 *   replay_of: string | null, created_at: string, updated_at: string, delivered_at: string | null
 * }} DeliverySummary
 */
/** One try at delivering. @typedef {{ attempt: number, at: string, duration_ms: number, status_code: number | null, error: string | null, response_body: string | null }} DeliveryAttempt */
/** `GET /alerts/deliveries/{id}`. @typedef {DeliverySummary & { payload: unknown, headers: Record<string, string>, attempt_log: DeliveryAttempt[] }} DeliveryDetail */
/** @typedef {{ deliveries: DeliverySummary[], next_cursor: string | null }} DeliveryPage */
/**
 * `GET /alerts/deliveries/stats`.
 * @typedef {{
 *   total: number, by_status: Record<DeliveryStatus, number>, due: number, queue_depth: number,
 *   oldest_pending_at: string | null, oldest_due_at: string | null, oldest_due_age_seconds: number,
 *   endpoints: { total: number, enabled: number, disabled: number }
 * }} DeliveryStats
 */
/** @typedef {{ original_id: string, new_id: string }} ReplayResult */
/** `POST /alerts/deliveries/replay-bulk`. @typedef {{ status: 'ok', count: number, results: ReplayResult[] }} BulkReplayAnswer */

/**
 * @typedef {{
 *   status: 'healthy' | 'failing' | 'unknown' | 'disabled', attempts: number, success_rate: number | null,
 *   consecutive_failures: number, last_success_at: string | null,
 *   last_failure: { at: string, status_code: number | null, error: string } | null
 * }} EndpointHealth
 */
/**
 * An alert endpoint (`GET /alerts/endpoints`): its URL cut to host and first segment, never its secret.
 * @typedef {{
 *   id: string, url: string, channel: string, format: string, enabled: boolean, disabled_reason: string | null,
 *   disabled_at: string | null, source: 'api' | 'config', description: string | null, secret_set: boolean,
 *   health: EndpointHealth
 * }} AlertEndpoint
 */
/** @typedef {{ endpoints: AlertEndpoint[], count: number }} EndpointList */

/**
 * An alert rule (`GET /alerts/rules`).
 * @typedef {{
 *   id: string, name: string, enabled: boolean, severity: Severity, event_type: string | null, source: string | null,
 *   tenant: string | null, window_seconds: number, threshold: number, for_seconds: number,
 *   keep_firing_for_seconds: number, repeat_interval_seconds: number | null, group_by: string[],
 *   description: string | null, version: number, created_at: string, updated_at: string, problem?: string
 * }} AlertRule
 */
/** @typedef {{ count: number, rules: AlertRule[] }} RuleList */
/**
 * A rule template (`GET /alerts/templates`).
 * @typedef {{
 *   id: string, name: string, description: string, tenant: string | null,
 *   rule: { severity: Severity, event_type: string | null, source: string | null, window_seconds: number, threshold: number, for_seconds: number, keep_firing_for_seconds: number, repeat_interval_seconds: number | null, group_by: string[] }
 * }} AlertTemplate
 */
/** @typedef {{ count: number, templates: AlertTemplate[] }} TemplateList */
/** @typedef {{ group: Record<string, string>, pending_at: string, firing_at: string, resolved_at: string | null, peak_count: number, notifications: number, silenced: number }} BacktestEpisode */
/**
 * `POST /alerts/rules/preview`: when a rule would have fired over a past range.
 * @typedef {{
 *   rule: { id: string | null, name: string }, from: string, to: string, step_seconds: number, evaluations: number,
 *   events_matched: number, episodes: BacktestEpisode[], episodes_total: number,
 *   notifications: { firing: number, repeat: number, resolved: number, silenced: number, total: number }
 * }} BacktestResult
 */

// ---- auto-heal (@aetherlink/autoheal)

/** @typedef {'ok' | 'degraded' | 'down' | 'draining' | 'unknown'} HealHealth */
/**
 * `GET /autoheal/status`.
 * @typedef {{
 *   enabled: boolean, runtime: string, interval_seconds: number, last_check: string | null, dry_run: boolean,
 *   fleet_guard: { since: string, failing: number, fleet: number } | null,
 *   services: { name: string, status: HealHealth, state: string, source: 'configured' | 'registry' | 'both', reason: string, since: string }[]
 * }} HealStatus
 */
/**
 * One heal attempt or recorded skip.
 * @typedef {{
 *   id: string, ts: string, service: string, action: string, outcome: 'succeeded' | 'failed' | 'skipped', reason: string,
 *   message: string, probe: { check: string, status_code: number | null, latency_ms: number | null, error: string | null } | null,
 *   attempt: number | null, delay_ms: number | null, detected_at: string | null, started_at: string | null,
 *   duration_ms: number | null, error: string | null
 * }} HealRecord
 */
/** `GET /autoheal/history`. @typedef {{ history: HealRecord[], total_in_history: number, limit: number }} HealHistory */
/**
 * `GET /autoheal/stats`.
 * @typedef {{
 *   total_attempts: number, successful: number, failed: number, success_rate: number, services: Record<string, number>,
 *   most_healed: string | null, skipped: number, time_to_heal_ms: { p50: number | null, p95: number | null, samples: number },
 *   quarantined: { service: string, since: string, reason: string }[]
 * }} HealStats
 */
/** @typedef {{ action: string, reason: string, message: string, since: string, until: string | null }} HealDecision */
/** @typedef {{ since: string, reason: 'budget' | 'flapping' | 'operator', by: string | null, message: string }} Quarantine */
/** A maintenance window or silence. @typedef {{ id: string, service: string, kind: 'maintenance' | 'silence', starts_at: string, ends_at: string | null, by: string, reason: string, created_at: string, in_force?: boolean }} HealWindow */
/**
 * `GET /autoheal/services/{name}`: the engine's view of one service and why it did (not) act.
 * @typedef {{
 *   name: string, active: boolean, source: string, runtime_id: string, depends_on: string[], status: HealHealth, state: string,
 *   decision: HealDecision, last_round: string | null,
 *   checks: { name: string, kind: string, role: 'liveness' | 'readiness', verdict: string | null, status_code: number | null, latency_ms: number | null, error: string | null }[],
 *   thresholds: { failure: number, success: number }, consecutive_failures: number, consecutive_successes: number,
 *   failing_since: string | null, healthy_since: string | null, grace_until: string | null,
 *   flapping: { flapping: boolean, change_rate: number, window: number, results: string },
 *   backoff: { attempt: number, next_delay_ms: number, next_restart_at: string | null },
 *   budget: { used: number, limit: number, window_seconds: number }, quarantine: Quarantine | null,
 *   heal: unknown, windows: HealWindow[], last_heal: HealRecord | null
 * }} HealService
 */
/** `GET /autoheal/maintenance`. @typedef {{ windows: HealWindow[] }} WindowList */

// ---- audit

/**
 * One request in the audit trail (`GET /audit/records`).
 * @typedef {{ seq: number, ts: string, service: string, method: string, path: string, roles: string[], status: number, client_ip: string, duration_ms: number, principal?: string }} AuditRecord
 */
/** @typedef {{ records: AuditRecord[], next_before: number | null }} AuditPage */

// ---- the dashboard's own shapes

/**
 * What a panel is given when mounted.
 * @typedef {object} PanelContext
 * @property {import('./api.js').Api} api
 * @property {Me} me
 * @property {(route: string) => boolean} may True when the signed-in principal may call "METHOD /path".
 * @property {(route: string) => boolean} has True when this server serves "METHOD /path".
 * @property {import('./events.js').LiveEvents} live The one live stream every panel shares.
 * @property {(detail: import('./drawer.js').DrawerContent) => void} openDrawer
 * @property {(message: string, kind?: 'error' | 'info') => void} toast
 * @property {(options: import('./confirm.js').ConfirmOptions) => Promise<boolean>} confirm Asks before an action.
 * @property {(topic: Topic) => void} changed Says something changed: the panels following that topic reload.
 * @property {import('./scope.js').Scope} scope The tenant the operator is looking at.
 */

/**
 * What can change under a panel: the panels that show it follow the topic.
 * @typedef {'rules' | 'deliveries' | 'endpoints' | 'autoheal' | 'services' | 'audit' | 'tenant'} Topic
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
 * @property {Topic[]} [follows] Refreshed when another panel (or an action) says one of these changed.
 * @property {(section: HTMLElement, ctx: PanelContext) => PanelInstance} mount
 */

export {};
