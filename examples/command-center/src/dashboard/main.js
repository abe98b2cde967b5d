// @ts-check
// The operator dashboard's entry: plain ES modules served by the reference server, no build step. It signs in
// the way the server's auth mode asks, learns which routes the principal may call, and mounts the panels listed
// below; a panel whose routes the principal may not call asks for nothing (so a viewer's open page causes no
// RBAC violations), and one whose routes this server lacks says where they come from.
import { createApi } from './lib/api.js';
import { confirmAction } from './lib/confirm.js';
import { byId, describeError, el, frame } from './lib/dom.js';
import { openDrawer, wireDrawer } from './lib/drawer.js';
import { liveEvents } from './lib/events.js';
import { debounce } from './lib/schedule.js';
import { createScope } from './lib/scope.js';
import { createSession } from './lib/session.js';
import stats from './panels/stats.js';
import chart from './panels/chart.js';
import live from './panels/live.js';
import health from './panels/health.js';
import providers from './panels/providers.js';
import requests from './panels/requests.js';
import history from './panels/history.js';
import audit from './panels/audit.js';
import reconcile from './panels/reconcile.js';
import autohealStats from './panels/autoheal-stats.js';
import autohealConfig from './panels/autoheal-config.js';
import autohealTimeline from './panels/autoheal-timeline.js';
import autohealWhy from './panels/autoheal-why.js';
import maintenance from './panels/maintenance.js';
import deliveryQueue from './panels/delivery-queue.js';
import alertTemplates from './panels/alert-templates.js';
import alertRules from './panels/alert-rules.js';
import endpoints from './panels/endpoints.js';
import deliveries from './panels/deliveries.js';

/** @typedef {import('./lib/types.js').PanelDefinition} PanelDefinition */
/** @typedef {import('./lib/types.js').PanelInstance} PanelInstance */
/** @typedef {import('./lib/types.js').Me} Me */
/** @typedef {import('./lib/types.js').Topic} Topic */

/** Every panel, in the order it appears on its view. */
const PANELS = /** @type {PanelDefinition[]} */ ([
  stats, chart, health, live, providers, requests,
  history, audit,
  autohealStats, autohealConfig, reconcile, autohealWhy, maintenance, autohealTimeline,
  deliveryQueue, endpoints, deliveries, alertRules, alertTemplates,
]);

const VIEWS = ['overview', 'events', 'autoheal', 'alerts'];
const REFRESH_MS = 15_000;
/** Live events reload the panels that follow them once things are quiet for this long, at least this often. */
const FOLLOW_QUIET_MS = 1000;
const FOLLOW_MAX_MS = 5000;

/** @type {import('./lib/session.js').Session | undefined} */
let session;
const api = createApi(() => session?.headers() ?? {});
/** @type {Map<string, HTMLElement>} */
const sections = new Map();

/** What the current sign-in started: stopped as a whole when it changes. */
let running = { generation: 0, stop: () => {}, changed: (/** @type {Topic} */ _topic) => {} };

/**
 * Says something briefly at the bottom of the page: an error (a refused action) or news (copied, replayed).
 * @param {string} message
 * @param {'error' | 'info'} [kind]
 */
function toast(message, kind = 'error') {
  const node = byId('toast');
  node.textContent = message;
  node.dataset.kind = kind;
  node.hidden = false;
  clearTimeout(Number(node.dataset.timer));
  node.dataset.timer = String(setTimeout(() => (node.hidden = true), kind === 'error' ? 10_000 : 5000));
}

const scope = createScope(byId('scope'), () => running.changed('tenant'));

const currentView = () => {
  const view = location.hash.replace(/^#\/?/, '');
  return VIEWS.includes(view) ? view : 'overview';
};

function showView() {
  const view = currentView();
  for (const v of VIEWS) {
    byId(`view-${v}`).hidden = v !== view;
    byId(`tab-${v}`).setAttribute('aria-current', v === view ? 'page' : 'false');
  }
  return view;
}

/** Each panel's section, made once, in its view. */
function sectionOf(/** @type {PanelDefinition} */ panel) {
  let section = sections.get(panel.id);
  if (!section) {
    section = el('section', { class: `panel ${panel.size ?? ''}`.trim(), 'data-panel': panel.id, 'aria-label': panel.title });
    byId(`view-${panel.view}`).append(section);
    sections.set(panel.id, section);
  }
  return section;
}

/**
 * Shows every panel in one state without mounting any (signed out, or the sign-in was refused).
 * @param {import('./lib/dom.js').PanelState} state
 * @param {string} message
 */
function allPanels(state, message) {
  for (const panel of PANELS) frame(sectionOf(panel), panel.title).state(state, message);
}

/** (Re)starts everything for the current sign-in. */
async function start() {
  running.stop();
  const generation = running.generation + 1;
  running = { generation, stop: () => {}, changed: () => {} };
  if (!session) return;
  if (!session.signedIn()) {
    session.show(null);
    allPanels('signed-out', 'Sign in above to see this.');
    return;
  }
  allPanels('loading', 'Signing in…');
  /** @type {Me} */
  let me;
  try {
    me = await api.get('/ops/me');
  } catch (error) {
    if (running.generation !== generation) return;
    const status = /** @type {{ status?: number }} */ (error).status;
    const message = describeError(error);
    session.show(null, status === 401 ? 'sign-in refused' : status === 403 ? 'not allowed' : 'offline');
    allPanels(status === 403 ? 'denied' : status === 401 ? 'signed-out' : 'error', message);
    return;
  }
  if (running.generation !== generation) return;
  session.show(me);

  const may = (/** @type {string} */ route) => me.routes[route] === true;
  const has = (/** @type {string} */ route) => route in me.routes;
  const stream = liveEvents(session.headers);
  /** @type {Map<PanelDefinition, PanelInstance>} */
  const mounted = new Map();
  /** @param {Topic} topic */
  const changed = (topic) => running.generation === generation && refresh((p) => p.follows?.includes(topic) === true || (topic !== 'tenant' && p.follows?.includes('audit') === true));
  running.changed = changed;
  /** @type {import('./lib/types.js').PanelContext} */
  const ctx = { api, me, may, has, live: stream, openDrawer, toast, confirm: confirmAction, changed, scope };
  for (const panel of PANELS) {
    const section = sectionOf(panel);
    const missing = panel.requires.filter((r) => !has(r));
    const denied = panel.requires.filter((r) => has(r) && !may(r));
    if (missing.length) {
      frame(section, panel.title).state('unavailable', `Not on this server yet: needs ${missing.join(', ')}${panel.source ? `, from ${panel.source}` : ''}.`);
    } else if (denied.length) {
      frame(section, panel.title).state('denied', `Your roles (${me.roles.join(', ') || 'none'}) may not see this: it needs ${denied.join(', ')}.`);
    } else {
      mounted.set(panel, panel.mount(section, ctx));
    }
  }

  // One refresh in flight per panel: a refresh asked for meanwhile runs once after it, so answers never land out
  // of order and a burst of reasons to reload costs one more request, not one each.
  /** @type {Set<PanelInstance>} */
  const busy = new Set();
  /** @type {Set<PanelInstance>} */
  const again = new Set();
  const reload = (/** @type {PanelInstance} */ instance) => {
    if (busy.has(instance)) return void again.add(instance);
    busy.add(instance);
    void instance.refresh().finally(() => {
      busy.delete(instance);
      if (again.delete(instance) && running.generation === generation) reload(instance);
    });
  };
  const refresh = (/** @type {(p: PanelDefinition) => boolean} */ which) => {
    for (const [panel, instance] of mounted) if (which(panel)) reload(instance);
  };
  refresh(() => true);
  const follow = debounce(() => refresh((p) => p.followsEvents === true), FOLLOW_QUIET_MS, FOLLOW_MAX_MS);
  const offEvents = stream.subscribe(follow);
  const timer = setInterval(() => refresh((p) => p.view === currentView()), REFRESH_MS);
  const onView = () => refresh((p) => p.view === showView());
  window.addEventListener('hashchange', onView);
  running.stop = () => {
    offEvents();
    follow.cancel();
    clearInterval(timer);
    window.removeEventListener('hashchange', onView);
    stream.stop();
    for (const instance of mounted.values()) instance.dispose?.();
  };
}

async function boot() {
  showView();
  window.addEventListener('hashchange', showView);
  wireDrawer(toast);
  try {
    /** @type {[import('./lib/types.js').AuthInfo, import('./lib/types.js').Ping]} */
    const [auth, ping] = await Promise.all([api.get('/ops/auth'), api.get('/ops/ping')]);
    byId('version').textContent = `${ping.service} ${ping.version}`;
    session = createSession(byId('signin'), auth, () => void start());
  } catch (error) {
    toast(`The command center is not answering: ${describeError(error)}`);
    allPanels('error', 'The command center is not answering. Reload the page once it is back.');
    return;
  }
  await start();
}

void boot();
