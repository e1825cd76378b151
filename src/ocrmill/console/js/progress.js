// A job's progress as a person reads it: status, pages done of pages in all, a <progress> bar.

import { STATUS, h, replace } from './dom.js';

/** Text for a console job summary (from console/jobs or console/jobs/{id}/progress). */
export function progressText(job) {
  const status = STATUS[job.status] || String(job.status);
  if (job.status === 2) {
    return job.pagesTotal ? `${status}: ${job.pagesDone} of ${job.pagesTotal} pages` : `${status}: starting`;
  }
  if (job.status === 3) return `${status}: ${job.pages} ${job.pages === 1 ? 'page' : 'pages'}`;
  if (job.status === 4) return job.error ? `${status}: ${job.error}` : status;
  return status;
}

/** A status cell: text and, while converting or done, a progress bar with the same value. */
export function progressCell(job) {
  const text = progressText(job);
  const parts = [h('span', { class: `status status-${job.status}` }, text)];
  if (job.status === 2 || job.status === 3) {
    const max = Math.max(job.pagesTotal || 0, 1);
    const value = job.status === 3 ? max : job.pagesDone || 0;
    parts.push(h('progress', { max, value, 'aria-label': `Pages done of job ${job.id}` }, `${value} of ${max}`));
  }
  return parts;
}

/** Updates an element to show the job's progress, touching the DOM only when the text changed. */
export function showProgress(el, job) {
  const text = progressText(job);
  if (el.dataset.text === text) return;
  el.dataset.text = text;
  replace(el, progressCell(job));
}
