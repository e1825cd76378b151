// The console's entry point: who is signed in, the navigation, and a hash router (#/jobs/12) that gives each
// view a fresh context whose pollers and clean-ups end when the view is left.

import { ApiError, CONSOLE, getJson, hasCredentials, signOut } from './api.js';
import { errorBox, h, replace } from './dom.js';
import { showSignIn } from './login.js';
import * as dashboard from './dashboard.js';
import * as newJob from './newjob.js';
import * as jobs from './jobs.js';
import * as job from './job.js';
import * as invoices from './invoices.js';
import * as invoice from './invoice.js';
import * as admin from './admin.js';
import * as tokens from './tokens.js';
import * as webhooks from './webhooks.js';

const ROUTES = [
  [/^\/dashboard$/, dashboard],
  [/^\/new$/, newJob],
  [/^\/jobs$/, jobs],
  [/^\/jobs\/(\d+)$/, job],
  [/^\/invoices$/, invoices],
  [/^\/invoices\/([0-9a-f]{24})$/, invoice],
  [/^\/admin$/, admin],
  [/^\/tokens$/, tokens],
  [/^\/webhooks$/, webhooks],
];

const main = document.getElementById('main');
let me = null;
let current = null; // the context of the view on screen

/** What a view gets: who is signed in, pollers and clean-ups that end with the view. */
class ViewContext {
  constructor(user) {
    this.me = user;
    this.active = true;
    this.timers = [];
    this.cleanups = [];
  }

  /** Calls `fn` now and then every `ms` while the view is shown (one call at a time, none while hidden). */
  poll(fn, ms) {
    let busy = false;
    const tick = async () => {
      if (!this.active || busy || document.hidden) return;
      busy = true;
      try {
        await fn();
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 401)) console.warn('refresh failed', e);
      } finally {
        busy = false;
      }
    };
    this.timers.push(setInterval(tick, ms));
  }

  onLeave(fn) {
    this.cleanups.push(fn);
  }

  leave() {
    this.active = false;
    this.timers.forEach(clearInterval);
    this.cleanups.forEach((fn) => fn());
  }
}

async function route() {
  if (!me) return;
  const [path, search] = (location.hash.slice(1) || '/dashboard').split('?');
  const found = ROUTES.map(([pattern, view]) => [path.match(pattern), view]).find(([m]) => m);
  current?.leave();
  const context = new ViewContext(me);
  current = context;
  markCurrentLink(path);
  if (!found) {
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'There is no such page. '), h('a', { href: '#/dashboard' }, 'Go to the dashboard'));
    return;
  }
  const [match, view] = found;
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    await view.render(main, context, match.slice(1), new URLSearchParams(search || ''));
  } catch (e) {
    if (!context.active) return;
    if (e instanceof ApiError && e.status === 401) return;
    replace(main, h('h1', {}, 'Something went wrong'), errorBox(e.message));
  }
  if (context.active) {
    const heading = main.querySelector('h1');
    if (heading) {
      document.title = `${heading.textContent} – ocrmill`;
      heading.tabIndex = -1;
      if (document.activeElement === document.body || document.activeElement === main) heading.focus({ preventScroll: true });
    }
  }
}

function markCurrentLink(path) {
  for (const link of document.querySelectorAll('#main-nav a')) {
    const target = link.getAttribute('href').slice(1);
    if (path === target || path.startsWith(`${target}/`)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function showChrome(user) {
  document.getElementById('main-nav').hidden = false;
  document.getElementById('nav-admin').hidden = !user.admin;
  const who = document.getElementById('who');
  who.hidden = false;
  document.getElementById('who-name').textContent = user.auth ? `Signed in as ${user.name}${user.admin ? ' (admin)' : ''}` : 'Authentication is off';
  document.getElementById('sign-out').hidden = !user.auth;
}

function hideChrome() {
  document.getElementById('main-nav').hidden = true;
  document.getElementById('who').hidden = true;
}

/** Asks the server who we are; shows the sign-in form when it wants credentials (with `name`, the user name
 * just tried, filled in). */
async function start(message, name = '') {
  current?.leave();
  current = null;
  me = null;
  try {
    me = await getJson(`${CONSOLE}/me`);
  } catch (e) {
    // 429: too many failed sign-ins for this name or from this address; the server's message says how long to wait
    if (e instanceof ApiError && (e.status === 401 || e.status === 429)) {
      hideChrome();
      const why = e.status === 429 ? e.message : hasCredentials() ? 'Unknown user name or wrong password.' : message;
      showSignIn(main, { message: why, name, onDone: (tried) => start(undefined, tried) });
      return;
    }
    replace(main, h('h1', {}, 'The server cannot be reached'), errorBox(e.message));
    return;
  }
  showChrome(me);
  await route();
}

window.addEventListener('hashchange', route);
window.addEventListener('ocrmill:unauthorized', () => {
  if (me) {
    signOut();
    start('Your session ended; please sign in again.');
  }
});
document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  start('You are signed out.');
});

start();
