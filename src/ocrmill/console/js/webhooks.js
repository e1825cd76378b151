// Webhooks: the endpoints the signed-in user registered (an admin sees everyone's), a form to register one (its
// secret shown once), and the deliveries with every attempt and "Send again". The job page shows its own
// deliveries with deliveryTable().

import { API, getJson, sendJson } from './api.js';
import { checkbox, errorBox, field, h, notify, replace, when } from './dom.js';

export const WEBHOOKS = `${API}/webhooks`;
const EVENTS = ['job.converted', 'job.error', 'invoice_job.completed', 'invoice_job.failed', 'folder.file_done'];

export async function render(main, ctx) {
  const list = h('div', { class: 'table-wrap' });
  const made = h('div', { 'aria-live': 'polite' });
  const deliveries = h('div', { class: 'table-wrap' });
  const refresh = async () => {
    const [hooks, sent] = await Promise.all([getJson(WEBHOOKS), getJson(`${WEBHOOKS}/deliveries?limit=50`)]);
    if (!ctx.active) return;
    replace(list, hookTable(hooks, refresh));
    replace(deliveries, deliveryTable(sent, refresh));
  };
  replace(main, h('h1', {}, 'Webhooks'),
    h('p', {}, 'An endpoint gets a signed POST when a job ends: the body is JSON with the event, the delivery id, the ',
      'job id and the job\'s status document; ', h('code', {}, 'Ocrmill-Signature: t=<unix time>,v1=<hex>'),
      ' is the HMAC-SHA256 of ', h('code', {}, '<t>.<body>'), ' with the endpoint\'s secret. Failed deliveries are tried ',
      'again with growing pauses for a day.'),
    h('section', { 'aria-labelledby': 'h-hooks' }, h('h2', { id: 'h-hooks' }, 'Endpoints'), made, list),
    newHookForm(made, refresh, ctx.me),
    callbackSecret(),
    h('section', { 'aria-labelledby': 'h-deliveries' }, h('h2', { id: 'h-deliveries' }, 'Deliveries'), deliveries));
  await refresh();
  ctx.poll(refresh, 3000);
}

function hookTable(hooks, refresh) {
  if (!hooks.length) return h('p', {}, 'No endpoints yet.');
  return h('table', { class: 'webhooks' },
    h('thead', {}, h('tr', {}, ['Id', 'URL', 'Events', 'For', 'Description', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, hooks.map((hook) => {
      const problems = h('div');
      const remove = h('button', {
        type: 'button', class: 'small danger',
        onclick: async () => {
          if (!confirm(`Remove the webhook ${hook.url} and its deliveries?`)) return;
          try {
            await sendJson('DELETE', `${WEBHOOKS}/${hook.id}`);
            notify(`Webhook ${hook.id} removed.`);
            await refresh();
          } catch (err) { replace(problems, errorBox(err.message)); }
        },
      }, `Remove webhook ${hook.id}`);
      return h('tr', { 'data-webhook': String(hook.id) },
        h('th', { scope: 'row', class: 'num' }, String(hook.id)), h('td', { class: 'wrap' }, hook.url),
        h('td', {}, hook.events.join(', ')), h('td', {}, hook.allUsers ? 'every user' : hook.owner || '—'),
        h('td', {}, hook.description || '—'), h('td', {}, remove, problems));
    })));
}

function newHookForm(made, refresh, me) {
  const url = h('input', { type: 'url', id: 'new-hook-url', required: true, maxlength: 2000, size: 50 });
  const secret = h('input', { type: 'text', id: 'new-hook-secret', autocomplete: 'off', minlength: 16, maxlength: 200 });
  const description = h('input', { type: 'text', id: 'new-hook-description', maxlength: 1000 });
  const events = EVENTS.map((e) => checkbox(e, { id: `new-hook-event-${e.replace(/[._]/g, '-')}`, value: e, checked: true }));
  const problems = h('div');
  const form = h('form', { class: 'card new-webhook', 'aria-labelledby': 'h-new-hook' },
    h('h2', { id: 'h-new-hook' }, 'Register an endpoint'),
    h('div', { class: 'row' }, field('Endpoint URL', url, 'http:// or https://; private addresses only where the server allows them'),
      field('Secret', secret, 'Empty: one is made')),
    h('div', { class: 'row' }, field('Description', description)),
    h('fieldset', {}, h('legend', {}, 'Events'), events),
    me.admin ? h('div', { class: 'row' }, checkbox('For every user\'s jobs', { id: 'new-hook-all-users' })) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Register endpoint')), problems);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(problems);
    try {
      const body = {
        url: url.value.trim(),
        description: description.value,
        events: events.map((c) => c.querySelector('input')).filter((box) => box.checked).map((box) => box.value),
        allUsers: Boolean(form.querySelector('#new-hook-all-users')?.checked),
      };
      if (secret.value) body.secret = secret.value;
      const hook = await sendJson('POST', WEBHOOKS, body);
      const shown = h('input', { type: 'text', id: 'new-hook-secret-shown', readonly: true, value: hook.secret, size: 50 });
      replace(made, h('div', { class: 'card', role: 'status' },
        h('p', {}, `Webhook ${hook.id} registered. Give its secret to the receiver now: it is not shown again.`),
        field('Signing secret', shown)));
      form.reset();
      await refresh();
      shown.select();
    } catch (err) {
      replace(problems, errorBox(err.message));
    }
  });
  return form;
}

function callbackSecret() {
  const out = h('div', { 'aria-live': 'polite' });
  const show = h('button', {
    type: 'button', class: 'secondary',
    onclick: async () => {
      try {
        const { secret } = await getJson(`${WEBHOOKS}/callback-secret`);
        replace(out, field('Callback secret', h('input', { type: 'text', id: 'callback-secret', readonly: true, value: secret, size: 50 })));
      } catch (err) { replace(out, errorBox(err.message)); }
    },
  }, 'Show my callback secret');
  return h('section', { 'aria-labelledby': 'h-callback' }, h('h2', { id: 'h-callback' }, 'Per-job callbacks'),
    h('p', {}, 'A job with the CallbackUrl property gets its job.converted or job.error there, signed with your callback secret.'),
    show, out);
}

function jobLink(delivery) {
  const id = delivery.jobId;
  if (/^\d+$/.test(id)) return h('a', { href: `#/jobs/${id}` }, id);
  if (/^[0-9a-f]{24}$/.test(id)) return h('a', { href: `#/invoices/${id}` }, id);
  return id || '—';
}

/** Deliveries (newest first) with their attempts and a "Send again" button each. */
export function deliveryTable({ deliveries, total }, refresh) {
  if (!deliveries.length) return h('p', {}, 'No deliveries yet.');
  return [h('table', { class: 'deliveries' },
    h('thead', {}, h('tr', {}, ['Made', 'Event', 'Job', 'URL', 'State', 'Attempts', ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, deliveries.map((d) => {
      const problems = h('div');
      const again = h('button', {
        type: 'button', class: 'small secondary',
        onclick: async () => {
          try {
            await sendJson('POST', `${WEBHOOKS}/deliveries/${d.id}/resend`);
            notify('The delivery is sent again.');
            await refresh();
          } catch (err) { replace(problems, errorBox(err.message)); }
        },
      }, 'Send again');
      const attempts = d.attempts.length
        ? h('ol', { class: 'attempts' }, d.attempts.map((a) => h('li', {},
          `${when(a.at)}: ${a.error || `HTTP ${a.statusCode}`} (${a.milliseconds} ms)`)))
        : 'none yet';
      const state = d.state === 'pending' && d.nextAttempt ? `pending (next ${when(d.nextAttempt)})` : d.state;
      return h('tr', { 'data-delivery': d.id },
        h('td', {}, when(d.created)), h('td', {}, d.event),
        h('td', {}, jobLink(d)),
        h('td', { class: 'wrap' }, d.url), h('td', { class: 'delivery-state' }, state), h('td', {}, attempts),
        h('td', {}, again, problems));
    }))), total > deliveries.length ? h('p', {}, `The newest ${deliveries.length} of ${total}.`) : null];
}
