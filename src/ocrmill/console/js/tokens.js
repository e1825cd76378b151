// The signed-in user's API tokens: made (the secret shown once), listed and revoked.

import { CONSOLE, getJson, sendJson } from './api.js';
import { checkbox, errorBox, field, h, notify, replace, when } from './dom.js';

export async function render(main, ctx) {
  const list = h('div', { class: 'table-wrap' });
  const made = h('div', { 'aria-live': 'polite' });
  const refresh = async () => {
    const all = await getJson(`${CONSOLE}/tokens`);
    if (ctx.active) replace(list, tokenTable(all, refresh));
  };
  replace(main, h('h1', {}, 'API tokens'),
    h('p', {}, 'A token lets a script or an integration call the APIs as you, sent as ',
      h('code', {}, 'Authorization: Bearer <token>'), '. A read-only token may only read (GET).'));
  if (!ctx.me.auth) {
    main.append(errorBox('Authentication is off (auth = false): there is no user to own a token.'));
    return;
  }
  main.append(made, list, newTokenForm(made, refresh));
  await refresh();
}

function tokenTable(tokens, refresh) {
  if (!tokens.length) return h('p', {}, 'No tokens yet.');
  return h('table', { class: 'tokens' },
    h('thead', {}, h('tr', {}, ['Token', 'Access', 'Created', 'Expires', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, tokens.map((token) => {
      const problems = h('div');
      const revoke = h('button', {
        type: 'button', class: 'small danger',
        onclick: async () => {
          if (!confirm(`Revoke the token ${token.name}? Scripts using it are refused from now on.`)) return;
          try {
            await sendJson('DELETE', `${CONSOLE}/tokens/${encodeURIComponent(token.name)}`);
            notify(`Token ${token.name} revoked.`);
            await refresh();
          } catch (err) { replace(problems, errorBox(err.message)); }
        },
      }, `Revoke ${token.name}`);
      const expires = token.expires ? `${when(token.expires)}${token.expired ? ' (expired)' : ''}` : 'never';
      return h('tr', { 'data-token': token.name },
        h('th', { scope: 'row' }, token.name), h('td', {}, token.readOnly ? 'read-only' : 'read and write'),
        h('td', {}, when(token.created)), h('td', {}, expires), h('td', {}, revoke, problems));
    })));
}

function newTokenForm(made, refresh) {
  const name = h('input', { type: 'text', id: 'new-token-name', autocomplete: 'off', required: true, maxlength: 200 });
  const days = h('input', { type: 'number', id: 'new-token-days', min: 1, max: 36500, step: 1 });
  const problems = h('div');
  const form = h('form', { class: 'card new-token', 'aria-labelledby': 'h-new-token' },
    h('h2', { id: 'h-new-token' }, 'Make a token'),
    h('div', { class: 'row' }, field('Token name', name), field('Expires after (days)', days, 'Empty: until revoked')),
    h('div', { class: 'row' }, checkbox('Read-only', { id: 'new-token-read-only' })),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Make token')), problems);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(problems);
    try {
      const body = { name: name.value, readOnly: form.querySelector('#new-token-read-only').checked };
      if (days.value) body.expiresDays = Number(days.value);
      const token = await sendJson('POST', `${CONSOLE}/tokens`, body);
      const secret = h('input', { type: 'text', id: 'new-token-secret', readonly: true, value: token.token, size: 50 });
      replace(made, h('div', { class: 'card', role: 'status' },
        h('p', {}, `Token ${token.name} made. Copy it now: it is not shown again.`), field('Your new token', secret)));
      form.reset();
      await refresh();
      secret.select();
    } catch (err) {
      replace(problems, errorBox(err.message));
    }
  });
  return form;
}
