// Invoices: upload invoices (PDF or images) and list the invoice jobs, newest first, with paging.

import { INVOICES, getData, request } from './api.js';
import { errorBox, field, h, notify, replace, when } from './dom.js';

const PAGE_SIZE = 20;

export async function render(main, ctx, _params, query) {
  const files = h('input', { type: 'file', id: 'invoice-files', name: 'file', multiple: true, accept: '.pdf,.png,.jpg,.jpeg,.tif,.tiff' });
  const name = h('input', { type: 'text', id: 'invoice-name', name: 'name', maxlength: 500 });
  const problems = h('div');
  const submit = h('button', { type: 'submit' }, 'Upload invoice');
  const form = h('form', { class: 'row upload' },
    field('Invoice files', files, 'A PDF or the pictures of its pages, in order.'), field('Name (optional)', name),
    h('div', { class: 'actions' }, submit), problems);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(problems);
    if (!files.files.length) {
      replace(problems, errorBox('Choose the invoice file first.'));
      files.focus();
      return;
    }
    const body = new FormData();
    for (const file of files.files) body.append('file', file);
    if (name.value) body.append('name', name.value);
    submit.disabled = true;
    try {
      const answer = await (await request(`${INVOICES}/ocr-invoice-jobs`, { method: 'POST', body })).json();
      notify(`Invoice uploaded: ${answer.data.fileName || answer.data._id}.`);
      form.reset();
      await refresh(true);
    } catch (e) {
      replace(problems, errorBox(e.message));
    } finally {
      submit.disabled = false;
    }
  });

  const table = h('div', { class: 'table-wrap' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages of the invoice list' });
  replace(main, h('h1', {}, 'Invoices'), h('section', { 'aria-labelledby': 'h-upload' }, h('h2', { id: 'h-upload' }, 'Upload'), form),
    h('section', { 'aria-labelledby': 'h-list' }, h('h2', { id: 'h-list' }, 'Invoice jobs'), table, pager));

  const offset = Number(query.get('offset') || 0);
  let shown = '';
  async function refresh(force = false) {
    const page = await getData(`${INVOICES}/ocr-invoice-jobs?limit=${PAGE_SIZE}&offset=${offset}&sort=createdAt&order=desc`);
    const seen = JSON.stringify(page);
    if (!ctx.active || (seen === shown && !force)) return;
    shown = seen;
    replace(table, invoiceTable(page.items));
    replace(pager, pagerLinks(page.total, offset));
  }
  await refresh();
  ctx.poll(refresh, 3000);
}

function invoiceTable(items) {
  if (!items.length) return h('p', {}, 'No invoices yet.');
  return h('table', { class: 'invoices' },
    h('thead', {}, h('tr', {}, ['Invoice', 'Status', 'Pages', 'Number', 'Vendor', 'Total', 'Quality', 'Uploaded'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, items.map((job) => {
      const fields = job.extractedFields || {};
      return h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: `#/invoices/${job._id}` }, job.name || job.fileName || job._id)),
        h('td', {}, h('span', { class: `status inv-${job.status}` }, job.status)),
        h('td', { class: 'num' }, `${job.pagesCompleted} / ${job.pageCount}`),
        h('td', {}, fields.invoiceNumber?.value ?? '—'),
        h('td', { class: 'wrap' }, fields.vendorName?.value ?? '—'),
        h('td', { class: 'num' }, fields.total ? `${fields.total.normalized ?? fields.total.value} ${fields.currency?.normalized ?? ''}` : '—'),
        h('td', { class: 'num' }, job.qualityScore ? `${Math.round(job.qualityScore * 100)}%` : '—'),
        h('td', {}, when(job.createdAt)),
      );
    })),
  );
}

function pagerLinks(total, offset) {
  const last = Math.min(offset + PAGE_SIZE, total);
  return [
    offset > 0 ? h('a', { class: 'button secondary', href: `#/invoices?offset=${Math.max(0, offset - PAGE_SIZE)}` }, 'Previous page') : null,
    h('span', {}, `${total ? offset + 1 : 0}–${last} of ${total}`),
    last < total ? h('a', { class: 'button secondary', href: `#/invoices?offset=${offset + PAGE_SIZE}` }, 'Next page') : null,
  ];
}
