// The page viewer of a converted job: each page's picture with the recognised words drawn over it (boxes
// coloured by confidence) and the page's text beside it. The SVG overlay's viewBox is the recognised raster's
// size, so the boxes scale with the picture whatever size it is shown at.

import { CONSOLE, blobUrl, getJson } from './api.js';
import { checkbox, field, h, replace, svg } from './dom.js';

/** Confidence classes (0..1): sure, fair, doubtful. */
export function confidenceClass(confidence) {
  if (confidence >= 0.9) return 'conf-high';
  if (confidence >= 0.6) return 'conf-mid';
  return 'conf-low';
}

/** A word's classes: its confidence class, and `left-out` when the job's outputs do not have it. */
function wordClass(w) {
  return w.kept ? confidenceClass(w.confidence) : `${confidenceClass(w.confidence)} left-out`;
}

/**
 * Shows the viewer for a job in `container`.
 * @param {HTMLElement} container
 * @param {{active: boolean, onLeave: (fn: () => void) => void}} ctx
 * @param {number} jobId
 */
export async function pageViewer(container, ctx, jobId) {
  const pages = await getJson(`${CONSOLE}/jobs/${jobId}/pages`);
  if (!pages.length) {
    replace(container, h('p', { class: 'muted' }, 'No page pictures were kept for this job (it was converted before the console kept them, or every page was blank).'));
    return;
  }
  let index = 0;
  let imageUrl = null;
  ctx.onLeave(() => imageUrl && URL.revokeObjectURL(imageUrl));

  const select = h('select', { id: 'viewer-page' }, pages.map((p, i) => h('option', { value: i }, `Page ${p.number}`)));
  const previous = h('button', { type: 'button', class: 'secondary' }, 'Previous page');
  const next = h('button', { type: 'button', class: 'secondary' }, 'Next page');
  const boxes = checkbox('Show word boxes', { id: 'viewer-boxes', checked: true });
  const image = h('img', { class: 'page-image', alt: '' });
  const overlay = svg('svg', { class: 'overlay', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
  const frame = h('div', { class: 'page-frame' }, image, overlay);
  const text = h('div', { class: 'page-text', tabindex: 0, role: 'region', 'aria-label': 'Recognised text' });
  const caption = h('p', { class: 'muted', 'aria-live': 'polite' });

  replace(container,
    h('div', { class: 'viewer-tools' }, previous, field('Page', select), next, boxes, legend()),
    caption,
    h('div', { class: 'viewer' }, h('figure', {}, frame, h('figcaption', { class: 'visually-hidden' }, 'Page picture with word boxes')), text),
  );
  boxes.querySelector('input').addEventListener('change', (e) => overlay.classList.toggle('hidden', !e.target.checked));

  async function show(i) {
    index = i;
    select.value = String(i);
    previous.disabled = i === 0;
    next.disabled = i === pages.length - 1;
    const page = pages[i];
    const [url, words] = await Promise.all([blobUrl(page.imageUrl), getJson(page.wordsUrl)]);
    if (!ctx.active) return URL.revokeObjectURL(url);
    if (imageUrl) URL.revokeObjectURL(imageUrl);
    imageUrl = url;
    image.src = url;
    image.alt = `Page ${page.number} of job ${jobId}`;
    overlay.setAttribute('viewBox', `0 0 ${words.width} ${words.height}`);
    replace(overlay, words.words.map((w, n) => {
      const [left, top, right, bottom] = w.box;
      return svg('rect', {
        x: left, y: top, width: right - left, height: bottom - top, class: `word ${wordClass(w)}`, 'data-word': n,
      }, svg('title', {}, document.createTextNode(`${w.text} (${Math.round(w.confidence * 100)}%${w.kept ? '' : ', left out'})`)));
    }));
    replace(text, pageText(words));
    const out = words.words.filter((w) => !w.kept).length;
    caption.textContent = `Page ${page.number} of ${pages.length}: ${words.words.length} words`
      + (out ? `, ${out} below the job's minimum confidence (${Math.round(words.minConfidence * 100)}%) left out of the outputs (struck through).` : '.');
  }

  // Hovering a word in the text marks its box on the picture.
  text.addEventListener('mouseover', (e) => mark(e.target.dataset?.word));
  text.addEventListener('mouseout', () => mark(undefined));
  function mark(n) {
    overlay.querySelectorAll('.marked').forEach((r) => r.classList.remove('marked'));
    if (n !== undefined) overlay.querySelector(`[data-word="${n}"]`)?.classList.add('marked');
  }

  select.addEventListener('change', () => show(Number(select.value)));
  previous.addEventListener('click', () => index > 0 && show(index - 1));
  next.addEventListener('click', () => index < pages.length - 1 && show(index + 1));
  await show(0);
}

/** The text in lines and paragraphs, each word a span tied to its box. */
function pageText(words) {
  const paragraphs = [];
  let paragraph = null;
  let line = null;
  words.words.forEach((w, n) => {
    if (!paragraph || paragraph.index !== w.paragraph) {
      paragraph = { index: w.paragraph, el: h('p', {}) };
      paragraphs.push(paragraph.el);
      line = null;
    }
    if (!line || line.index !== w.line) {
      line = { index: w.line, el: h('span', { class: 'line' }) };
      paragraph.el.append(line.el);
    } else {
      line.el.append(' ');
    }
    line.el.append(h('span', { class: `w ${wordClass(w)}`, 'data-word': n }, w.text));
  });
  return paragraphs.length ? paragraphs : h('p', { class: 'muted' }, 'No words were recognised on this page.');
}

function legend() {
  return h('ul', { class: 'legend', 'aria-label': 'Box colours' },
    h('li', {}, h('span', { class: 'swatch conf-high' }), 'confidence 90% or more'),
    h('li', {}, h('span', { class: 'swatch conf-mid' }), '60–89%'),
    h('li', {}, h('span', { class: 'swatch conf-low' }), 'below 60%'),
    h('li', {}, h('span', { class: 'swatch left-out' }), 'left out of the outputs'),
  );
}
