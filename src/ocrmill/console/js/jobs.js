// Jobs: a filtered, paged list (newest first), or the jobs whose text, description or correlation id hold some
// words (best match first, with the line that matched). The filters live in the address (#/jobs?status=3&offset=20),
// so the back button and bookmarks keep them.

import { CONSOLE, getJson } from './api.js';
import { STATUS, field, h, replace, when } from './dom.js';
import { progressCell } from './progress.js';

const PAGE_SIZE = 20;

export async function render(main, ctx, _params, query) {
  const words = h('input', { type: 'search', id: 'f-q', name: 'q', value: query.get('q') || '' });
  const status = h('select', { id: 'f-status', name: 'status' },
    h('option', { value: '' }, 'Any'), STATUS.map((name, i) => h('option', { value: i, selected: query.get('status') === String(i) }, name)));
  const from = h('input', { type: 'date', id: 'f-from', name: 'from', value: query.get('from') || '' });
  const to = h('input', { type: 'date', id: 'f-to', name: 'to', value: query.get('to') || '' });
  const correlation = h('input', { type: 'text', id: 'f-correlation', name: 'correlation', value: query.get('correlation') || '' });
  const user = ctx.me.admin ? h('input', { type: 'text', id: 'f-user', name: 'user', value: query.get('user') || '' }) : null;
  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter jobs' },
    field('Words in the text', words),
    field('Status', status), field('Created from', from), field('Created to', to), field('Correlation id', correlation),
    user ? field('User', user) : null,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Apply filters'), h('a', { href: '#/jobs', class: 'button secondary' }, 'Clear')),
  );
  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams();
    for (const [key, el] of [['q', words], ['status', status], ['from', from], ['to', to], ['correlation', correlation], ['user', user]]) {
      if (el && el.value.trim()) next.set(key, el.value.trim());
    }
    location.hash = `#/jobs?${next}`;
  });

  const table = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of the job list' });
  replace(main, h('h1', {}, 'Jobs'), filters, table, pager);

  const offset = Number(query.get('offset') || 0);
  const api = new URLSearchParams({ limit: PAGE_SIZE, offset });
  if (query.get('q')) api.set('q', query.get('q')); // a text search: the other filters are left out
  if (query.get('status')) api.append('status', query.get('status'));
  if (query.get('from')) api.set('createdFrom', startOfDay(query.get('from')));
  if (query.get('to')) api.set('createdTo', endOfDay(query.get('to')));
  if (query.get('correlation')) api.set('correlationId', query.get('correlation'));
  if (query.get('user')) api.set('user', query.get('user'));

  let shown = '';
  const refresh = async () => {
    const page = await getJson(`${CONSOLE}/jobs?${api}`);
    const seen = JSON.stringify(page);
    if (!ctx.active || seen === shown) return; // unchanged: keep the table (and the keyboard focus in it)
    shown = seen;
    replace(table, jobTable(page.items, ctx.me.admin, Boolean(query.get('q'))));
    replace(pager, pagerLinks(page, query));
  };
  await refresh();
  ctx.poll(refresh, 3000);
}

function jobTable(items, admin, searched) {
  if (!items.length) return h('p', {}, 'No jobs match.');
  const heads = ['Job', 'Description', admin ? 'User' : null, 'Status', 'Created', 'Finished'].filter(Boolean);
  return h('table', { class: 'jobs' },
    h('caption', { class: 'visually-hidden' }, searched ? 'Jobs, best match first' : 'Jobs, newest first'),
    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((job) => h('tr', {},
      h('th', { scope: 'row' }, h('a', { href: `#/jobs/${job.id}` }, `Job ${job.id}`)),
      h('td', { class: 'wrap' }, job.descr || job.sourceName || '—', job.correlationId ? h('span', { class: 'muted' }, ` (${job.correlationId})`) : null,
        job.snippet ? h('div', { class: 'snippet muted' }, job.snippet) : null),
      admin ? h('td', {}, job.userName || '—') : null,
      h('td', { class: 'status-cell' }, progressCell(job)),
      h('td', {}, when(job.created)),
      h('td', {}, when(job.finished)),
    ))),
  );
}

function pagerLinks(page, query) {
  const first = page.total ? page.offset + 1 : 0;
  const last = Math.min(page.offset + page.limit, page.total);
  const link = (offset, text) => {
    const next = new URLSearchParams(query);
    next.set('offset', offset);
    return h('a', { href: `#/jobs?${next}`, class: 'button secondary' }, text);
  };
  return [
    page.offset > 0 ? link(Math.max(0, page.offset - page.limit), 'Previous page') : null,
    h('span', {}, `${first}–${last} of ${page.total}${page.more ? '+' : ''}`),
    last < page.total ? link(page.offset + page.limit, 'Next page') : null,
  ];
}

function startOfDay(date) {
  return new Date(`${date}T00:00:00`).toISOString();
}

function endOfDay(date) {
  return new Date(`${date}T23:59:59.999`).toISOString();
}
