// Dashboard: the figures of serverload and stats, jobs per status and the OCR folders, refreshed every 2 s.

import { CONSOLE, getJson } from './api.js';
import { STATUS, h, replace } from './dom.js';

const LOAD_FIGURES = [
  ['JobsInProcessing', 'Jobs converting'],
  ['ScheduledJobs', 'Jobs waiting'],
  ['FilesInProcessing', 'Files converting'],
  ['ScheduledFiles', 'Files waiting'],
  ['JobsThreads', 'Job workers'],
  ['FoldersThreads', 'Folder workers'],
  ['LoadPercent', 'Load (%)'],
  ['RealLoadPercent', 'CPU load (%)'],
  ['FoldersLoadPercent', 'Folder load (%)'],
];
const STAT_FIGURES = [
  ['ProcessingFiles', 'Files in processing'],
  ['ProcessedFiles', 'Files processed'],
  ['SuccessFiles', 'Succeeded'],
  ['ErrorFiles', 'Failed'],
];

export async function render(main, ctx) {
  const load = h('dl', { class: 'figures' });
  const stats = h('dl', { class: 'figures' });
  const byStatus = h('dl', { class: 'figures' });
  const folders = h('div');
  const server = h('p', { class: 'muted' });
  replace(
    main,
    h('h1', {}, 'Dashboard'),
    server,
    h('div', { class: 'cards' },
      h('section', { class: 'card', 'aria-labelledby': 'h-load' }, h('h2', { id: 'h-load' }, 'Server load'), load),
      h('section', { class: 'card', 'aria-labelledby': 'h-stats' }, h('h2', { id: 'h-stats' }, 'Statistics'), stats),
      h('section', { class: 'card', 'aria-labelledby': 'h-status' },
        h('h2', { id: 'h-status' }, ctx.me.admin ? 'Jobs by status' : 'Your jobs by status'), byStatus),
    ),
    h('section', { 'aria-labelledby': 'h-folders' }, h('h2', { id: 'h-folders' }, 'OCR folders'), folders),
    h('p', { class: 'muted' }, 'The figures refresh every 2 seconds.'),
  );

  const refresh = async () => {
    const data = await getJson(`${CONSOLE}/overview`);
    if (!ctx.active) return;
    server.textContent = `${data.serverLoad.Name} ${data.serverLoad.Version}`;
    figures(load, LOAD_FIGURES, data.serverLoad);
    figures(stats, STAT_FIGURES, data.stats);
    const counts = Object.fromEntries(STATUS.map((name) => [name.toLowerCase(), name]));
    replace(byStatus, Object.entries(counts).map(([key, label]) => [
      h('dt', {}, h('a', { href: `#/jobs?status=${STATUS.indexOf(label)}` }, label)),
      h('dd', { 'data-figure': key }, String(data.jobsByStatus[key] ?? 0)),
    ]));
    replace(folders, folderTable(data.folders));
  };
  await refresh();
  ctx.poll(refresh, 2000);
}

function figures(list, names, values) {
  replace(list, names.map(([key, label]) => [h('dt', {}, label), h('dd', { 'data-figure': key }, String(values[key] ?? '—'))]));
}

function folderTable(folders) {
  if (folders === null) return h('p', { class: 'muted' }, 'You do not have the right to list OCR folders.');
  if (!folders.length) return h('p', { class: 'muted' }, 'No OCR folders are configured.');
  return h('table', {},
    h('thead', {}, h('tr', {}, ['Folder', 'Filters', 'Processing', 'Processed', 'Succeeded', 'Failed'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, folders.map((f) => h('tr', {},
      h('th', { scope: 'row' }, f.Description || f.Id),
      h('td', {}, f.Filters),
      ['ProcessingFiles', 'ProcessedFiles', 'SuccessFiles', 'ErrorFiles'].map((k) => h('td', { class: 'num' }, String(f[k]))),
    ))),
  );
}
