// Small DOM helpers: build elements without innerHTML (no markup injection from data).

/**
 * Creates an element.
 * @param {string} tag element name
 * @param {Object<string, any>} [attrs] attributes; `on<event>` keys add listeners, `class`, `text`, `hidden`
 *   and boolean values are handled, null/undefined/false leave the attribute out
 * @param {...(Node|string|number|null|undefined|false|Array)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'text') {
      el.textContent = String(value);
    } else if (key === 'value' && 'value' in el) {
      el.value = String(value);
    } else if (key === 'checked' || key === 'selected' || key === 'disabled' || key === 'multiple' || key === 'required') {
      el[key] = Boolean(value);
      if (value) el.setAttribute(key, '');
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * Creates an SVG element.
 * @param {string} tag
 * @param {Object<string, any>} [attrs]
 * @param {...Node} children
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Appends children, flattening arrays and skipping empty values. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A labelled form field: the label, the control and an optional hint tied with aria-describedby. */
let fieldCounter = 0;
export function field(labelText, control, hint) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const parts = [h('label', { for: id }, labelText), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('span', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

/** A checkbox with its label after it. */
export function checkbox(labelText, attrs = {}, hint) {
  const id = attrs.id || `f${++fieldCounter}`;
  const box = h('input', { type: 'checkbox', ...attrs, id });
  const parts = [box, h('label', { for: id }, labelText)];
  if (hint) {
    box.setAttribute('aria-describedby', `${id}-hint`);
    parts.push(h('span', { class: 'hint', id: `${id}-hint` }, hint));
  }
  return h('div', { class: 'check' }, parts);
}

/** Formats an ISO date for people (local time), or an em dash for none. */
export function when(value) {
  if (!value || value.startsWith('0001-01-01')) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

/** Seconds between two ISO dates, as "12.3 s", or "" when one is missing. */
export function duration(from, to) {
  if (!from || !to || from.startsWith('0001') || to.startsWith('0001')) return '';
  const seconds = (new Date(to) - new Date(from)) / 1000;
  return seconds >= 0 ? `${seconds.toFixed(1)} s` : '';
}

/** A message for everyone: shown in the page's polite live region for a few seconds. */
export function notify(message) {
  const box = document.getElementById('notice');
  box.textContent = message;
  box.classList.add('shown');
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => box.classList.remove('shown'), 5000);
}

/** An error box (role=alert) for a form or a view. */
export function errorBox(message) {
  return h('p', { class: 'error', role: 'alert' }, message);
}

/** The job status names of the ownOCR API. */
export const STATUS = ['Created', 'Scheduled', 'Converting', 'Converted', 'Error'];
