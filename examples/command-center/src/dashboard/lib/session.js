// @ts-check
import { el } from './dom.js';

/** @typedef {import('./types.js').AuthInfo} AuthInfo */
/** @typedef {import('./types.js').Me} Me */

// The role picked in header mode is kept across visits; a token only for this browser session.
const ROLE_KEY = 'aetherlink.role';
const TOKEN_KEY = 'aetherlink.token';

/**
 * The sign-in of this browser, in the server's auth mode: a role sent as `X-User-Roles` (header mode), or a
 * pasted bearer token (JWT mode).
 * @typedef {object} Session
 * @property {() => Record<string, string>} headers The credentials, or none when signed out.
 * @property {() => boolean} signedIn True when there are credentials to send.
 * @property {(me: Me | null, problem?: string) => void} show Shows who is signed in, or why no one is.
 */

/**
 * Renders the sign-in controls for `auth.mode` into `root`; `onChange` runs after every sign-in and sign-out.
 * @param {HTMLElement} root
 * @param {AuthInfo} auth
 * @param {() => void} onChange
 * @returns {Session}
 * @example const session = createSession(byId('signin'), await api.get('/ops/auth'), restart)
 */
export function createSession(root, auth, onChange) {
  let role = auth.mode === 'header' ? localStorage.getItem(ROLE_KEY) ?? '' : '';
  let token = auth.mode === 'jwt' ? sessionStorage.getItem(TOKEN_KEY) ?? '' : '';
  if (role && !auth.roles.includes(role)) role = '';

  const who = el('span', { id: 'session', class: 'pill', role: 'status' });
  const signOut = el('button', { id: 'signout', type: 'button', hidden: true, onclick: () => set('', '') }, 'Sign out');

  /**
   * @param {string} nextRole
   * @param {string} nextToken
   */
  const set = (nextRole, nextToken) => {
    role = nextRole;
    token = nextToken;
    if (role) localStorage.setItem(ROLE_KEY, role);
    else localStorage.removeItem(ROLE_KEY);
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    accepted = false;
    render();
    onChange();
  };

  /** @type {HTMLElement} */
  let controls;
  if (auth.mode === 'header') {
    const select = el(
      'select',
      { id: 'signin-role', 'aria-label': 'Role', onchange: () => set(select.value, '') },
      el('option', { value: '' }, 'choose a role…'),
      ...auth.roles.map((r) => el('option', { value: r }, r)),
    );
    controls = el('label', { class: 'inline', title: `Sent as the ${auth.header ?? 'x-user-roles'} header: for trusted networks only` }, 'Sign in as', select);
  } else {
    const input = el('input', { id: 'signin-token', type: 'password', placeholder: 'paste a bearer token (JWT)', autocomplete: 'off', 'aria-label': 'Bearer token' });
    controls = el(
      'form',
      {
        id: 'signin-form',
        class: 'inline',
        onsubmit: (ev) => {
          ev.preventDefault();
          const value = input.value.trim();
          input.value = '';
          if (value) set('', value);
        },
      },
      input,
      el('button', { type: 'submit' }, 'Sign in'),
    );
  }
  root.dataset.mode = auth.mode;
  root.replaceChildren(controls, who, signOut);

  /** True once the server accepted the credentials: the token field then steps aside. */
  let accepted = false;
  const render = () => {
    const select = /** @type {HTMLSelectElement | null} */ (root.querySelector('#signin-role'));
    if (select) select.value = role;
    const form = root.querySelector('#signin-form');
    if (form instanceof HTMLElement) form.hidden = accepted && Boolean(token);
    signOut.hidden = !role && !token;
  };
  render();

  return {
    headers() {
      /** @type {Record<string, string>} */
      const headers = {};
      if (role) headers['x-user-roles'] = role;
      else if (token) headers.authorization = `Bearer ${token}`;
      return headers;
    },
    signedIn: () => Boolean(role || token),
    show(me, problem) {
      accepted = Boolean(me);
      render();
      // In header mode the picked role is on show already; a token's subject and roles are not.
      who.hidden = Boolean(me) && auth.mode === 'header';
      if (me) {
        who.textContent = `${me.id ? `${me.id} · ` : ''}${me.roles.join(', ') || 'no roles'}`;
        who.className = 'pill ok';
      } else {
        who.textContent = problem ?? 'signed out';
        who.className = problem ? 'pill bad' : 'pill';
      }
    },
  };
}
