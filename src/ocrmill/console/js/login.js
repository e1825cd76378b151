// The sign-in form (shown when the server has authentication on).

import { signIn, signOut } from './api.js';
import { errorBox, field, h, replace } from './dom.js';

/**
 * Shows the sign-in form in `main`.
 * @param {HTMLElement} main
 * @param {{message?: string, name?: string, onDone: (name: string) => void}} options `name`: the one just refused,
 *   kept so that only the password is typed again
 */
export function showSignIn(main, { message, name: refused = '', onDone }) {
  signOut();
  const name = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, value: refused });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    message ? errorBox(message) : null,
    field('User name', name),
    field('Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    signIn(name.value, password.value);
    onDone(name.value);
  });
  document.title = 'Sign in – ocrmill';
  replace(main, form);
  (refused ? password : name).focus();
}
