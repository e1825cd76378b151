// A job's page: where it stands, timing, errors, barcodes, downloads of every output, its options, and the
// page viewer once it is converted. Refreshed every 2 s until the job ends.

import { CONSOLE, OCRJOBS, download, getJson, sendJson } from './api.js';
import { duration, errorBox, h, notify, replace, when } from './dom.js';
import { showProgress } from './progress.js';
import { pageViewer } from './viewer.js';
import { WEBHOOKS, deliveryTable } from './webhooks.js';

const OUTPUTS = [
  ['pdf', 'PdfOutput', 'PDF'], ['txt', 'TxtOutput', 'TXT'], ['docx', 'DocxOutput', 'DOCX'], ['xml', 'XmlOutput', 'XML'],
  ['rtf', 'RtfOutput', 'RTF'], ['odt', 'OdtOutput', 'ODT'], ['mht', 'MhtOutput', 'MHT'], ['epub', 'EpubOutput', 'EPUB'],
];

export async function render(main, ctx, [id]) {
  const [description, first] = await Promise.all([getJson(`${CONSOLE}/options`), getJson(`${OCRJOBS}/info/${id}`)]);
  let job = first;
  const status = h('span', { class: 'job-status', id: 'job-status' });
  const body = h('div');
  replace(main, h('h1', {}, `Job ${id}`), h('p', { 'aria-live': 'polite' }, h('strong', {}, 'Status: '), status), body);

  const draw = async () => {
    showProgress(status, await statusOnly(id));
    replace(body,
      facts(job),
      job.ErrorDescription ? errorBox(job.ErrorDescription) : null,
      actions(job, ctx),
      barcodes(job, description),
      optionsTable(job, description),
    );
    if (job.Status >= 3) await hookDeliveries(body, ctx, id);
    if (job.Status === 3) {
      const viewer = h('section', { 'aria-labelledby': 'h-viewer', class: 'viewer-section' }, h('h2', { id: 'h-viewer' }, 'Pages'));
      body.append(viewer);
      await pageViewer(viewer, ctx, Number(id));
    }
  };
  await draw();
  ctx.poll(async () => {
    if (job.Status >= 3) return;
    const fresh = await getJson(`${OCRJOBS}/info/${id}`);
    if (!ctx.active) return;
    const changed = fresh.Status !== job.Status;
    job = fresh;
    if (changed) await draw();
    else showProgress(status, await statusOnly(id));
  }, 2000);
}

/** The webhook deliveries this job's end made (its endpoints' and its CallbackUrl's), with "Send again". */
async function hookDeliveries(body, ctx, id) {
  const section = h('section', { 'aria-labelledby': 'h-job-hooks' }, h('h2', { id: 'h-job-hooks' }, 'Webhook deliveries'));
  const table = h('div', { class: 'table-wrap' });
  const refresh = async () => {
    const sent = await getJson(`${WEBHOOKS}/deliveries?job=${encodeURIComponent(id)}&limit=100`);
    if (ctx.active) replace(table, deliveryTable(sent, refresh));
  };
  await refresh();
  if (!table.querySelector('table')) return; // none: the section is left out
  section.append(table);
  body.append(section);
}

/** The job's progress without its error text, which the page shows once, in its own box. */
async function statusOnly(id) {
  return { ...(await getJson(`${CONSOLE}/jobs/${id}/progress`)), error: '' };
}

function facts(job) {
  const rows = [
    ['Description', job.Descr || '—'],
    ['Correlation id', job.CorrelationId || '—'],
    ['User', job.UserName || '—'],
    ['Template', job.TemplateId ? `${job.TemplateId}` : '—'],
    ['Pages', String(job.NumberOfPages)],
    ['Created', when(job.Created)],
    ['Scheduled', when(job.Scheduled)],
    ['Started', `${when(job.Started)}${duration(job.Scheduled, job.Started) ? ` (waited ${duration(job.Scheduled, job.Started)})` : ''}`],
    ['Finished', `${when(job.Finished)}${duration(job.Started, job.Finished) ? ` (took ${duration(job.Started, job.Finished)})` : ''}`],
    ['Guid', job.Guid],
  ];
  if (job.RemovedPages?.length) rows.push(['Blank pages left out', job.RemovedPages.join(', ')]);
  return h('section', { 'aria-labelledby': 'h-facts' }, h('h2', { id: 'h-facts', class: 'visually-hidden' }, 'Details'),
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
}

function actions(job, ctx) {
  const buttons = [];
  if (job.Status === 3) {
    for (const [ext, flag, label] of OUTPUTS) {
      if (!job[flag]) continue;
      buttons.push(h('button', {
        type: 'button', 'data-download': ext,
        onclick: () => download(`${OCRJOBS}/download/${job.Id}/${ext}`, `job-${job.Id}.${ext}`).catch((e) => notify(e.message)),
      }, `Download ${label}`));
    }
    buttons.push(h('button', {
      type: 'button', 'data-download': 'zip',
      onclick: () => download(`${OCRJOBS}/download/${job.Id}/zip`, `job-${job.Id}.zip`).catch((e) => notify(e.message)),
    }, 'Download all (ZIP)'));
  }
  if (job.Status === 0 || job.Status === 1) {
    buttons.push(h('button', { type: 'button', class: 'secondary', onclick: () => act('POST', 'cancel', job, 'canceled') }, 'Cancel job'));
  }
  if (job.Status === 0 || job.Status >= 3) {
    buttons.push(h('button', {
      type: 'button', class: 'danger',
      onclick: async () => {
        if (!confirm(`Delete job ${job.Id} and its results?`)) return;
        if (await act('DELETE', 'delete', job, 'deleted') && ctx.active) location.hash = '#/jobs';
      },
    }, 'Delete job'));
  }
  if (!buttons.length) return null;
  return h('section', { 'aria-labelledby': 'h-actions' }, h('h2', { id: 'h-actions' }, job.Status === 3 ? 'Results' : 'Actions'), h('div', { class: 'actions' }, buttons));
}

async function act(method, action, job, done) {
  try {
    await sendJson(method, `${OCRJOBS}/${action}/${job.Id}`);
    notify(`Job ${job.Id} ${done}.`);
    return true;
  } catch (e) {
    notify(e.message);
    return false;
  }
}

function barcodes(job, description) {
  if (!job.DetectBarcodes) return null;
  const codes = job.Barcodes || [];
  const types = description.groups.flatMap((g) => g.options).find((o) => o.name === 'BarcodeFilter')?.choices || [];
  const typeName = (type) => types.find((c) => c.type === type)?.label ?? String(type);
  return h('section', { 'aria-labelledby': 'h-codes' }, h('h2', { id: 'h-codes' }, `Barcodes (${codes.length})`),
    codes.length ? h('table', {},
      h('thead', {}, h('tr', {}, ['Page', 'Type', 'Value', 'Position (x, y, w, h)'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, codes.map((c) => h('tr', {},
        h('td', { class: 'num' }, String(c.PageNo)), h('td', {}, typeName(c.Type)), h('td', { class: 'wrap' }, c.Value),
        h('td', {}, `${c.X}, ${c.Y}, ${c.Width}, ${c.Height}`))))) : h('p', {}, 'None found.'));
}

function optionsTable(job, description) {
  return h('details', { class: 'job-options' }, h('summary', {}, 'Options'),
    description.groups.map((group) => [
      h('h3', {}, group.label),
      h('table', { class: 'compact' }, h('tbody', {}, group.options.map((o) => h('tr', {},
        h('th', { scope: 'row' }, o.label), h('td', {}, shown(o, job[o.name]))))))]));
}

function shown(option, value) {
  if (option.type === 'bool') return value ? 'yes' : 'no';
  if (option.type === 'enum') return option.choices.find((c) => c.value === value)?.label ?? String(value);
  if (option.type === 'flags') return value ? option.choices.filter((c) => value & c.value).map((c) => c.label).join(', ') : 'all types';
  return value === '' || value === undefined ? '—' : String(value);
}

