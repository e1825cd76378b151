// New job: drop or choose files, pick a template or set the options, submit, and watch each job's progress.

import { ApiError, CONSOLE, OCRJOBS, getJson, request, sendJson } from './api.js';
import { checkbox, errorBox, field, h, replace } from './dom.js';
import { optionsForm } from './options-form.js';
import { showProgress } from './progress.js';

const ACCEPT = '.tif,.tiff,.jpg,.jpeg,.bmp,.png,.gif,.heif,.heic,.pdf';
const SUPPORTED = new Set(ACCEPT.split(','));

/** A file name's extension without the dot ('' for none). */
const extension = (name) => (name.includes('.') ? name.split('.').pop() : '');

export async function render(main, ctx) {
  const [description, templates] = await Promise.all([getJson(`${CONSOLE}/options`), getJson(`${OCRJOBS}/templates`)]);
  const options = optionsForm(description, { omit: ['Autostart'] });
  let chosen = [];

  const fileInput = h('input', { type: 'file', id: 'files', name: 'files', multiple: true, accept: ACCEPT });
  const fileList = h('ul', { class: 'file-list', 'aria-live': 'polite' });
  const zone = h('div', { class: 'drop-zone' },
    h('label', { for: 'files' }, h('strong', {}, 'Files to convert'), h('span', {}, ' — drop them here or choose them')),
    fileInput,
    h('span', { class: 'hint', id: 'files-hint' }, 'TIFF, JPEG, PNG, BMP, GIF, HEIF or PDF; one job per file unless combined below.'),
    fileList,
  );
  fileInput.setAttribute('aria-describedby', 'files-hint');
  const showFiles = () => replace(fileList, chosen.map((f) => h('li', {}, `${f.name} (${Math.ceil(f.size / 1024)} KB)`)));
  fileInput.addEventListener('change', () => { chosen = [...fileInput.files]; showFiles(); });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('dragging'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('dragging');
    chosen = [...chosen, ...e.dataTransfer.files];
    showFiles();
  });

  const template = h('select', { id: 'template', name: 'template' },
    h('option', { value: '' }, 'None — use the options below'),
    templates.map((t) => h('option', { value: t.Id }, `${t.Id}: ${t.Descr || 'template'}`)),
  );
  template.addEventListener('change', () => {
    const picked = templates.find((t) => String(t.Id) === template.value);
    options.set(picked || {});
  });
  const combine = checkbox('Put all files into one job (pages in this order)', { id: 'combine', name: 'combine' });
  const problems = h('div');
  const submit = h('button', { type: 'submit' }, 'Start OCR');
  const submitted = h('ul', { class: 'submitted', id: 'submitted', 'aria-live': 'polite' });

  const form = h('form', { class: 'new-job', novalidate: true },
    zone,
    h('div', { class: 'row' }, field('Template', template, 'A template fills in the options; you can still change them.'), combine),
    h('h2', {}, 'Options'),
    options.element,
    problems,
    h('div', { class: 'actions' }, submit),
  );
  replace(main, h('h1', {}, 'New job'), form,
    h('section', { 'aria-labelledby': 'h-submitted' }, h('h2', { id: 'h-submitted' }, 'Submitted jobs'), submitted));

  const watching = new Map(); // job id -> status element
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(problems);
    if (!chosen.length) {
      replace(problems, errorBox('Choose at least one file.'));
      fileInput.focus();
      return;
    }
    // dropped files are not filtered by the input's accept: name the ones the server would refuse, before any job
    const unsupported = chosen.filter((f) => !SUPPORTED.has(`.${extension(f.name).toLowerCase()}`));
    if (unsupported.length) {
      const names = unsupported.map((f) => `“${f.name}”`).join(', ');
      replace(problems, errorBox(`Not a file type ocrmill converts: ${names}. Choose TIFF, JPEG, PNG, BMP, GIF, HEIF or PDF files.`));
      fileInput.focus();
      return;
    }
    submit.disabled = true;
    const batches = combine.querySelector('input').checked ? [chosen] : chosen.map((f) => [f]);
    try {
      for (const files of batches) {
        const job = await submitJob(files, options.read(), template.value);
        const status = h('span', { class: 'job-status' });
        submitted.append(h('li', {}, h('a', { href: `#/jobs/${job.Id}` }, `Job ${job.Id}`), ` — ${files.map((f) => f.name).join(', ')}: `, status));
        showProgress(status, { id: job.Id, status: 1 });
        watching.set(job.Id, status);
      }
      chosen = [];
      fileInput.value = '';
      showFiles();
    } catch (e) {
      replace(problems, errorBox(e.message));
    } finally {
      submit.disabled = false;
    }
  });

  ctx.poll(async () => {
    for (const [id, status] of watching) {
      const job = await getJson(`${CONSOLE}/jobs/${id}/progress`);
      if (!ctx.active) return;
      showProgress(status, job);
      if (job.status >= 3) watching.delete(id);
    }
  }, 1000);
}

/** create (or createfromtemplate + setoptions), upload every file, schedule; returns the job. */
async function submitJob(files, values, templateId) {
  const body = { ...values, Autostart: false };
  if (!body.Descr) body.Descr = files.map((f) => f.name).join(', ').slice(0, 4000);
  let job;
  if (templateId) {
    job = await sendJson('POST', `${OCRJOBS}/createfromtemplate/${templateId}`);
    job = await sendJson('POST', `${OCRJOBS}/setoptions/${job.Id}`, body);
  } else {
    job = await sendJson('POST', `${OCRJOBS}/create`, body);
  }
  for (const file of files) {
    const ext = extension(file.name);
    try {
      await request(`${OCRJOBS}/uploadext/${job.Id}/${encodeURIComponent(ext)}`, { method: 'POST', body: file, type: 'application/octet-stream' });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      await request(`${OCRJOBS}/delete/${job.Id}`, { method: 'DELETE' }).catch(() => {}); // not left behind half made
      throw new ApiError(e.status, `“${file.name}” was refused: ${e.message}`);
    }
  }
  return sendJson('POST', `${OCRJOBS}/schedule/${job.Id}`);
}
