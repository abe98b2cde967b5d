// The operator dashboard: plain ES modules, no build step. Every number comes from the public HTTP API.
const $ = (id) => document.getElementById(id);
const SEVERITIES = ['info', 'warning', 'error', 'critical'];
const REFRESH_MS = 15_000;
const LIVE_MAX = 50;

const auth = {
  mode: localStorage.getItem('al.mode') ?? 'roles',
  roles: localStorage.getItem('al.roles') ?? 'operator',
  token: sessionStorage.getItem('al.token') ?? '',
  headers() {
    if (this.mode === 'token') return this.token ? { authorization: `Bearer ${this.token}` } : {};
    return { 'x-user-roles': this.roles };
  },
};

function showError(message) {
  const el = $('error');
  el.textContent = message;
  el.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => (el.hidden = true), 6000);
}

async function api(path) {
  const res = await fetch(path, { headers: { accept: 'application/json', ...auth.headers() } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new Error(body?.detail ?? `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function setAuthStatus(ok, text) {
  const el = $('auth-status');
  el.textContent = text;
  el.className = `pill ${ok ? 'ok' : 'bad'}`;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return node;
}

const sevChip = (s) => el('span', { class: `sev ${s}` }, s);
const time = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });

// ---- stats ----
async function loadStats() {
  try {
    const stats = await api('/events/stats');
    setAuthStatus(true, 'signed in');
    $('stat-total').textContent = stats.total.toLocaleString();
    $('stat-24h').textContent = stats.last_24h.toLocaleString();
    const max = Math.max(1, ...SEVERITIES.map((s) => stats.by_severity[s]));
    $('stat-severity').replaceChildren(
      ...SEVERITIES.map((s) =>
        el('div', { class: 'sev-row', 'data-severity': s },
          sevChip(s),
          el('div', { class: 'sev-track' }, el('div', { class: 'sev-fill', style: `width:${(100 * stats.by_severity[s]) / max}%;background:var(--${s})` })),
          el('span', { class: 'count' }, stats.by_severity[s].toLocaleString()),
        ),
      ),
    );
  } catch (err) {
    setAuthStatus(false, err.status === 401 ? 'sign in needed' : err.status === 403 ? 'not allowed' : 'offline');
  }
  try {
    const audit = await api('/audit/stats');
    $('audit-total').textContent = audit.total_requests.toLocaleString();
    $('audit-denied').textContent = (audit.denied_401_unauthorized + audit.denied_403_forbidden).toLocaleString();
  } catch (err) {
    $('audit-total').textContent = '–';
    $('audit-denied').textContent = err.status === 403 ? 'operators only:' : '–';
  }
}

// ---- services (registry health) and AI providers ----
const healthChip = (s) => el('span', { class: `health ${s}` }, s);
const ago = (iso) => (iso ? `${Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))} s ago` : '–');

async function loadServices() {
  try {
    const health = await api('/ops/health');
    $('fleet-status').replaceChildren(healthChip(health.status));
    $('services-note').textContent = '';
    $('services').replaceChildren(
      ...health.services.map((s) =>
        el('tr', { 'data-service': s.name },
          el('td', {}, s.name), el('td', {}, healthChip(s.status)), el('td', {}, s.latency_ms === null ? '–' : `${Math.round(s.latency_ms)} ms`),
          el('td', {}, ago(s.checked_at)), el('td', { class: 'muted' }, s.error ?? ''),
        ),
      ),
    );
    $('services-empty').hidden = health.services.length > 0;
  } catch (err) {
    $('services').replaceChildren();
    $('fleet-status').textContent = '–';
    $('services-note').textContent = err.status === 403 ? 'operators only' : err.status === 401 ? '' : err.message;
  }
}

async function loadProviders() {
  try {
    const providers = await api('/providers/health');
    $('providers').replaceChildren(
      ...Object.entries(providers).map(([name, p]) =>
        el('div', { class: 'provider', 'data-provider': name },
          el('b', {}, name),
          el('span', { class: `breaker-${p.breaker}` }, `breaker ${p.breaker.replace('_', '-')}`),
          el('span', { class: 'muted' }, `${p.total_calls} calls, ${p.failed_calls} failed`),
          el('span', { class: 'muted' }, p.p50_ms === null || p.p50_ms === undefined ? 'no latency yet' : `p50 ${Math.round(p.p50_ms)} ms · p95 ${Math.round(p.p95_ms)} ms`),
          p.last_error ? el('span', { class: 'muted' }, `last error: ${p.last_error}`) : '',
        ),
      ),
    );
  } catch {
    $('providers').replaceChildren();
  }
}

// ---- history ----
let cursor = null;
function historyQuery() {
  const q = new URLSearchParams({ limit: '50' });
  if ($('f-window').value) q.set('since', $('f-window').value);
  if ($('f-severity').value) q.set('severity', $('f-severity').value);
  if ($('f-type').value.trim()) q.set('event_type', $('f-type').value.trim());
  if (cursor) q.set('cursor', cursor);
  return q;
}

async function loadHistory({ append = false } = {}) {
  if (!append) cursor = null;
  try {
    const page = await api(`/events/recent?${historyQuery()}`);
    const rows = page.events.map((e) =>
      el('tr', { 'data-id': e.id, onclick: () => openDrawer(e) },
        el('td', {}, time(e.time)), el('td', {}, sevChip(e.severity)), el('td', {}, e.type), el('td', {}, e.source), el('td', {}, e.tenantid ?? ''),
      ),
    );
    if (append) $('history').append(...rows);
    else $('history').replaceChildren(...rows);
    cursor = page.next_cursor;
    $('more').hidden = !cursor;
    $('history-empty').hidden = $('history').children.length > 0;
  } catch (err) {
    if (err.status !== 401 && err.status !== 403) showError(`History: ${err.message}`);
    $('history').replaceChildren();
  }
}

// ---- live stream (fetch, because EventSource cannot send auth headers) ----
let live;
async function startLive() {
  live?.abort();
  const controller = new AbortController();
  live = controller;
  let lastId;
  let backoff = 1000;
  const status = $('live-status');
  while (!controller.signal.aborted) {
    try {
      const q = new URLSearchParams();
      if ($('live-severity').value) q.set('severity', $('live-severity').value);
      const headers = { accept: 'text/event-stream', ...auth.headers(), ...(lastId ? { 'last-event-id': lastId } : {}) };
      const res = await fetch(`/events/stream?${q}`, { headers, signal: controller.signal });
      if (!res.ok) throw Object.assign(new Error(`stream answered ${res.status}`), { status: res.status });
      status.textContent = 'live';
      status.className = 'pill ok';
      backoff = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let idx;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, idx);
          buffer = buffer.slice(idx + 2);
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('id: ')) lastId = line.slice(4);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) onLiveEvent(JSON.parse(data));
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      status.textContent = err.status === 401 || err.status === 403 ? 'not allowed' : 'reconnecting…';
      status.className = 'pill bad';
      if (err.status === 401 || err.status === 403) return;
    }
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 10_000);
  }
}

let statsSoon;
function onLiveEvent(e) {
  const item = el('li', { 'data-id': e.id, onclick: () => openDrawer(e) },
    sevChip(e.severity), el('span', {}, el('b', {}, e.type), ' ', el('span', { class: 'muted' }, e.source)), el('span', { class: 'muted' }, time(e.time)),
  );
  const feed = $('live');
  feed.prepend(item);
  while (feed.children.length > LIVE_MAX) feed.lastElementChild.remove();
  clearTimeout(statsSoon);
  statsSoon = setTimeout(loadStats, 500);
}

// ---- drawer ----
function openDrawer(e) {
  $('drawer-title').textContent = e.type;
  const facts = [['id', e.id], ['source', e.source], ['severity', e.severity], ['time', e.time], ['received', e.received_at], ['tenant', e.tenantid], ['subject', e.subject], ['trace', e.traceparent]];
  $('drawer-facts').replaceChildren(...facts.filter(([, v]) => v).flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  $('drawer-json').textContent = JSON.stringify(e, null, 2);
  $('drawer').hidden = false;
  $('overlay').hidden = false;
}
function closeDrawer() {
  $('drawer').hidden = true;
  $('overlay').hidden = true;
}

// ---- wiring ----
function applyAuthControls() {
  $('auth-mode').value = auth.mode;
  $('auth-roles').value = auth.roles;
  $('auth-token').value = auth.token;
  $('auth-roles').hidden = auth.mode !== 'roles';
  $('auth-token').hidden = auth.mode !== 'token';
}

function refreshAll() {
  void loadStats();
  void loadServices();
  void loadProviders();
  void loadHistory();
  void startLive();
}

$('auth').addEventListener('change', () => {
  auth.mode = $('auth-mode').value;
  auth.roles = $('auth-roles').value;
  auth.token = $('auth-token').value.trim();
  localStorage.setItem('al.mode', auth.mode);
  localStorage.setItem('al.roles', auth.roles);
  sessionStorage.setItem('al.token', auth.token);
  applyAuthControls();
  refreshAll();
});
$('auth').addEventListener('submit', (ev) => ev.preventDefault());
$('filters').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void loadHistory();
});
$('filters').addEventListener('change', () => void loadHistory());
$('more').addEventListener('click', () => void loadHistory({ append: true }));
$('live-severity').addEventListener('change', () => {
  $('live').replaceChildren();
  void startLive();
});
$('drawer-close').addEventListener('click', closeDrawer);
$('overlay').addEventListener('click', closeDrawer);
document.addEventListener('keydown', (ev) => ev.key === 'Escape' && closeDrawer());
$('drawer-copy').addEventListener('click', () => navigator.clipboard?.writeText($('drawer-json').textContent));

applyAuthControls();
api('/ops/ping').then((p) => ($('version').textContent = `${p.service} ${p.version}`), () => showError('The command center is not answering.'));
refreshAll();
setInterval(() => {
  void loadStats();
  void loadServices();
  void loadProviders();
}, REFRESH_MS);
