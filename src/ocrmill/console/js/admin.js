// Administration (admins only): users and their rights, and job templates.

import { CONSOLE, OCRJOBS, getJson, sendJson } from './api.js';
import { checkbox, errorBox, field, h, notify, replace, when } from './dom.js';
import { optionsForm } from './options-form.js';

export async function render(main, ctx) {
  if (!ctx.me.admin) {
    replace(main, h('h1', {}, 'Administration'), errorBox('Only administrators can open this page.'));
    return;
  }
  const users = h('div');
  const templates = h('div');
  replace(main, h('h1', {}, 'Administration'),
    h('section', { 'aria-labelledby': 'h-users' }, h('h2', { id: 'h-users' }, 'Users'), users),
    h('section', { 'aria-labelledby': 'h-templates' }, h('h2', { id: 'h-templates' }, 'Templates'), templates));
  await Promise.all([userSection(users, ctx), templateSection(templates, ctx)]);
}

// -- users -----------------------------------------------------------------------------------------

async function userSection(container, ctx) {
  const list = h('div', { class: 'table-wrap' });
  const refresh = async () => {
    const all = await getJson(`${CONSOLE}/users`);
    if (ctx.active) replace(list, userTable(all, ctx, refresh));
  };
  if (!ctx.me.auth) container.append(h('p', { class: 'muted' }, 'Authentication is off (auth = false): users take effect once it is switched on.'));
  container.append(list, newUserForm(refresh));
  await refresh();
}

function rightsBoxes(prefix, user = {}) {
  return [
    checkbox('Administrator', { id: `${prefix}-admin`, name: 'admin', checked: user.admin }),
    checkbox('May list OCR folders', { id: `${prefix}-enum`, name: 'enumFolders', checked: user.enumFolders }),
    checkbox('May post files to OCR folders', { id: `${prefix}-post`, name: 'postFolders', checked: user.postFolders }),
  ];
}

function readRights(form) {
  const on = (name) => form.querySelector(`input[name="${name}"]`).checked;
  return { admin: on('admin'), enumFolders: on('enumFolders'), postFolders: on('postFolders') };
}

function userTable(users, ctx, refresh) {
  if (!users.length) return h('p', {}, 'No users yet.');
  return h('table', { class: 'users' },
    h('thead', {}, h('tr', {}, ['User', 'Rights', 'Password', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, users.map((user, n) => {
      const problems = h('div');
      const fail = (e) => replace(problems, errorBox(e.message));
      const rights = h('form', { class: 'inline', 'aria-label': `Rights of ${user.name}` }, rightsBoxes(`u${n}`, user),
        h('button', { type: 'submit', class: 'small' }, 'Save rights'));
      rights.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await sendJson('PUT', `${CONSOLE}/users/${encodeURIComponent(user.name)}/rights`, readRights(rights));
          notify(`Rights of ${user.name} saved.`);
          await refresh();
        } catch (err) { fail(err); }
      });
      const password = h('input', { type: 'password', id: `u${n}-password`, autocomplete: 'new-password', required: true });
      const passwordForm = h('form', { class: 'inline', 'aria-label': `New password for ${user.name}` },
        field('New password', password), h('button', { type: 'submit', class: 'small secondary' }, 'Set password'));
      passwordForm.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          await sendJson('PUT', `${CONSOLE}/users/${encodeURIComponent(user.name)}/password`, { password: password.value });
          password.value = '';
          notify(`Password of ${user.name} changed.`);
        } catch (err) { fail(err); }
      });
      const remove = h('button', {
        type: 'button', class: 'small danger', disabled: user.name === ctx.me.name,
        onclick: async () => {
          if (!confirm(`Remove the user ${user.name}? Their jobs stay.`)) return;
          try {
            await sendJson('DELETE', `${CONSOLE}/users/${encodeURIComponent(user.name)}`);
            notify(`User ${user.name} removed.`);
            await refresh();
          } catch (err) { fail(err); }
        },
      }, `Remove ${user.name}`);
      return h('tr', { 'data-user': user.name },
        h('th', { scope: 'row' }, user.name), h('td', {}, rights), h('td', {}, passwordForm), h('td', {}, when(user.created)), h('td', {}, remove, problems));
    })));
}

function newUserForm(refresh) {
  const name = h('input', { type: 'text', id: 'new-user-name', name: 'name', autocomplete: 'off', required: true, maxlength: 200 });
  const password = h('input', { type: 'password', id: 'new-user-password', name: 'password', autocomplete: 'new-password', required: true });
  const problems = h('div');
  const form = h('form', { class: 'card new-user', 'aria-labelledby': 'h-new-user' },
    h('h3', { id: 'h-new-user' }, 'Add a user'),
    h('div', { class: 'row' }, field('User name', name), field('Password', password)),
    h('div', { class: 'row' }, rightsBoxes('new-user')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Add user')), problems);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(problems);
    try {
      const user = await sendJson('POST', `${CONSOLE}/users`, { name: name.value, password: password.value, ...readRights(form) });
      notify(`User ${user.name} added.`);
      form.reset();
      await refresh();
    } catch (err) {
      replace(problems, errorBox(err.message));
    }
  });
  return form;
}

// -- templates -------------------------------------------------------------------------------------

async function templateSection(container, ctx) {
  const description = await getJson(`${CONSOLE}/options`);
  const list = h('div', { class: 'table-wrap' });
  const refresh = async () => {
    const all = await getJson(`${OCRJOBS}/templates`);
    if (!ctx.active) return;
    replace(list, all.length ? h('table', { class: 'templates' },
      h('thead', {}, h('tr', {}, ['Name', 'Template', 'Outputs', 'Languages', 'Created', ''].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, all.map((t) => h('tr', { 'data-template': t.Id },
        h('th', { scope: 'row', class: 'wrap' }, t.Descr || `Template ${t.Id}`), h('td', { class: 'num' }, String(t.Id)),
        h('td', {}, ['Pdf', 'Txt', 'Docx', 'Xml', 'Rtf', 'Odt', 'Mht', 'Epub'].filter((k) => t[`${k}Output`]).join(', ').toUpperCase() || '—'),
        h('td', {}, t.RecognitionLanguages), h('td', {}, when(t.Created)),
        h('td', {}, h('button', {
          type: 'button', class: 'small danger',
          onclick: async () => {
            if (!confirm(`Delete template ${t.Id}${t.Descr ? ` (${t.Descr})` : ''}?`)) return;
            try {
              await sendJson('DELETE', `${OCRJOBS}/delete/${t.Id}`);
              notify(`Template ${t.Id} deleted.`);
              await refresh();
            } catch (err) { notify(err.message); }
          },
        }, `Delete template ${t.Id}`)))))) : h('p', {}, 'No templates yet.'));
  };
  // a template's name is its Descr (as in ownOCR), asked for first rather than among the job options
  const options = optionsForm(description, { omit: ['Autostart', 'Descr'] });
  const name = h('input', { type: 'text', id: 'new-template-name', name: 'Descr', required: true, maxlength: 4000, autocomplete: 'off' });
  const problems = h('div');
  const form = h('form', { class: 'card new-template', 'aria-labelledby': 'h-new-template' },
    h('h3', { id: 'h-new-template' }, 'New template'),
    field('Template name', name, 'Shown when a job is made from it; jobs made from it take it as their description.'),
    options.element, problems,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Create template')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(problems);
    try {
      const created = await sendJson('POST', `${OCRJOBS}/createtemplate`, { ...options.read(), Descr: name.value.trim() });
      notify(`Template ${created.Id} (${created.Descr}) created.`);
      options.set({});
      name.value = '';
      await refresh();
    } catch (err) {
      replace(problems, errorBox(err.message));
    }
  });
  container.append(list, form);
  await refresh();
}
