// An invoice's review page: the page picture with the extracted fields and line items highlighted where they
// were found, and every field and line item editable. The boxes hold normalised values (ISO dates, amounts as
// 1234.50), the printed text beside them. Saving a field puts a correction annotation on its page through the
// invoice API (PUT of the page); the field then shows the correction and, beside it, the engine's reading. A line
// item's corrections are annotations too, one per column: field "lineItems[N].amount", N the item's index among
// its page's items. The arithmetic checks are said in words.
//
// Boxes are in the pixels of the page picture itself (the server maps them back from the raster it
// recognised, however it enlarged, turned or straightened it), so the overlay's viewBox is the picture's size.

import { CONSOLE, INVOICES, blobUrl, download, getData, getJson, sendJson } from './api.js';
import { append, errorBox, field, h, notify, replace, svg, when } from './dom.js';

/** "invoiceNumber" -> "Invoice number". */
export function fieldLabel(name) {
  const words = name.replace(/([A-Z])/g, ' $1').toLowerCase();
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  return { Iban: 'IBAN', Bic: 'BIC' }[label] ?? label;
}

// What each check of the job's `checks` compares, for people; a check without an entry is named by its name.
const CHECKS = {
  lineItemsSum: (c) => [`Line items add up to the ${c.fields.includes('subtotal') ? 'subtotal' : 'total'}`, 'expected', 'found'],
  subtotalPlusTax: () => ['Subtotal plus tax makes the total', 'expected', 'found'],
  taxRate: () => ['The tax rate of the subtotal makes the tax', 'expected', 'found'],
  totalVsAmountDue: () => ['The amount due is at most the total', 'total', 'due'],
};

/** {name: "lineItemsSum", ...} -> "Line items add up to the subtotal: 180.76 expected, 180.76 found ✓". */
export function checkSentence(check) {
  const [title, expected, found] = CHECKS[check.name]?.(check) ?? [fieldLabel(check.name), 'expected', 'found'];
  return `${title}: ${check.expected} ${expected}, ${check.found} ${found} ${check.passed ? '✓' : '✗'}`;
}

const ITEM_COLUMNS = [['description', 'Description'], ['quantity', 'Quantity'], ['unitPrice', 'Unit price'], ['amount', 'Amount'], ['taxRate', 'Tax rate']];

export async function render(main, ctx, [id]) {
  const names = await getJson(`${CONSOLE}/invoice-fields`);
  let job = null;
  let pages = [];
  let pageIndex = 0;
  let imageUrl = null;
  ctx.onLeave(() => imageUrl && URL.revokeObjectURL(imageUrl));

  const heading = h('h1', {}, 'Invoice');
  const summary = h('div');
  const picture = h('div', { class: 'review-picture' });
  const fieldsPane = h('div', { class: 'review-fields' });
  const items = h('div');
  replace(main, heading, summary,
    h('div', { class: 'review' }, picture, h('section', { 'aria-labelledby': 'h-fields' }, h('h2', { id: 'h-fields' }, 'Fields'), fieldsPane)),
    h('section', { 'aria-labelledby': 'h-items' }, h('h2', { id: 'h-items' }, 'Line items'), items));

  async function load() {
    job = await getData(`${INVOICES}/ocr-invoice-jobs/${id}`);
    const filter = encodeURIComponent(JSON.stringify({ job: id }));
    pages = (await getData(`${INVOICES}/ocr-invoice-job-pages?filter=${filter}&sort=pageNumber&order=asc&limit=100`)).items;
  }

  async function draw() {
    heading.textContent = `Invoice ${job.name || job.fileName || job._id}`;
    replace(summary, jobSummary(job));
    replace(fieldsPane, fieldForm(names, job, saveField, revertField));
    replace(items, lineItemTable(job.lineItems || [], saveItem, revertItem));
    await drawPage();
  }

  async function drawPage() {
    if (!pages.length) {
      replace(picture, h('p', { class: 'muted' }, job.status === 'failed' ? 'The invoice could not be read.' : 'The pages are being prepared…'));
      return;
    }
    pageIndex = Math.min(pageIndex, pages.length - 1);
    const page = pages[pageIndex];
    const select = h('select', { id: 'review-page' }, pages.map((p, i) => h('option', { value: i, selected: i === pageIndex }, `Page ${p.pageNumber} (${p.status})`)));
    select.addEventListener('change', () => { pageIndex = Number(select.value); drawPage(); });
    const image = h('img', { class: 'page-image', alt: `Page ${page.pageNumber} of the invoice` });
    const { width, height } = page.imageProperties || {};
    const overlay = svg('svg', { class: 'overlay', viewBox: `0 0 ${width || 1} ${height || 1}`, preserveAspectRatio: 'none', 'aria-hidden': 'true' });
    const fields = page.extractedFields || {};
    for (const [name, value] of Object.entries(fields)) {
      overlay.append(boxRect(value.boundingBox, value.source === 'correction' ? 'mark-corrected' : 'mark-field', `${fieldLabel(name)}: ${value.value}`, name));
    }
    for (const item of (job.lineItems || []).filter((i) => i.pageNumber === page.pageNumber)) {
      overlay.append(boxRect(item.boundingBox, 'mark-line', `Line item: ${item.description}`));
    }
    replace(picture,
      h('div', { class: 'viewer-tools' }, pages.length > 1 ? field('Page', select) : h('span', {}, `Page ${page.pageNumber}`),
        h('ul', { class: 'legend', 'aria-label': 'Highlight colours' },
          h('li', {}, h('span', { class: 'swatch mark-field' }), 'field'), h('li', {}, h('span', { class: 'swatch mark-corrected' }), 'corrected field'),
          h('li', {}, h('span', { class: 'swatch mark-line' }), 'line item'))),
      h('figure', {}, h('div', { class: 'page-frame' }, h('div', { class: 'page-sheet' }, image, overlay)), h('figcaption', { class: 'visually-hidden' }, 'Invoice page with the fields highlighted')),
      page.errorLog ? errorBox(page.errorLog) : null,
    );
    if (page.status === 'completed' || page.pageUrl) {
      try {
        const url = await blobUrl(page.pageUrl);
        if (!ctx.active) return URL.revokeObjectURL(url);
        if (imageUrl) URL.revokeObjectURL(imageUrl);
        imageUrl = url;
        image.src = url;
      } catch (e) {
        picture.append(errorBox(`The page picture could not be loaded: ${e.message}`));
      }
    }
  }

  /** Saves a correction: the page's annotations without this field's earlier correction, plus the new one. */
  async function saveField(name, text) {
    const current = (job.extractedFields || {})[name];
    const number = current?.pageNumber || pages[pageIndex]?.pageNumber || 1;
    const page = pages.find((p) => p.pageNumber === number) || pages[pageIndex];
    const note = { type: 'correction', field: name, text };
    const box = current?.boundingBox;
    if (box) note.coordinates = box;
    await putAnnotations(page, [...otherAnnotations(page, name), note]);
    document.getElementById(`field-${name}`)?.focus();
    notify(`${fieldLabel(name)} saved as “${text}”.`);
  }

  async function revertField(name) {
    const current = (job.extractedFields || {})[name];
    const page = pages.find((p) => p.pageNumber === current?.pageNumber) || pages[pageIndex];
    await putAnnotations(page, otherAnnotations(page, name));
    document.getElementById(`field-${name}`)?.focus();
    notify(`${fieldLabel(name)}: the correction was removed.`);
  }

  /** Saves a line item's changed columns, each as a correction of "lineItems[N].column" on the item's page. */
  async function saveItem(item, index, line, values) {
    const page = pages.find((p) => p.pageNumber === item.pageNumber);
    if (!page) throw new Error(`Page ${item.pageNumber} of this invoice is gone.`);
    const changed = Object.keys(values).filter((column) => values[column] !== (item[column] ?? ''));
    if (!changed.length) return notify('Nothing was changed.');
    const names = changed.map((column) => `lineItems[${index}].${column}`);
    const notes = changed.map((column, i) => ({ type: 'correction', field: names[i], text: values[column] }));
    await putAnnotations(page, [...otherAnnotations(page, ...names), ...notes]);
    document.getElementById(`item-${item.pageNumber}-${index}-${changed[0]}`)?.focus();
    notify(`Line ${line} saved.`);
  }

  async function revertItem(item, index, line) {
    const page = pages.find((p) => p.pageNumber === item.pageNumber);
    const names = ITEM_COLUMNS.map(([column]) => `lineItems[${index}].${column}`);
    await putAnnotations(page, otherAnnotations(page, ...names));
    document.getElementById(`item-${item.pageNumber}-${index}-description`)?.focus();
    notify(`Line ${line}: the corrections were removed.`);
  }

  async function putAnnotations(page, annotations) {
    const fresh = await getData(`${INVOICES}/ocr-invoice-job-pages/${page._id}`);
    await sendJson('PUT', `${INVOICES}/ocr-invoice-job-pages/${page._id}`, {
      job: fresh.job, pageNumber: fresh.pageNumber, pageUrl: fresh.pageUrl, metadata: fresh.metadata || {}, annotations,
    });
    await load();
    if (ctx.active) await draw();
  }

  await load();
  await draw();
  ctx.poll(async () => {
    if (job.status !== 'pending' && job.status !== 'processing') return;
    await load();
    if (ctx.active) await draw();
  }, 2000);
}

/** A page's annotations other than the corrections of `names`, as the API takes them back. */
function otherAnnotations(page, ...names) {
  return (page.annotations || [])
    .filter((a) => !(a.type === 'correction' && names.includes(a.field)))
    .map((a) => {
      const out = { type: a.type, text: a.text ?? '', createdBy: a.createdBy, createdAt: a.createdAt };
      if (a.coordinates) out.coordinates = a.coordinates;
      if (a.field) out.field = a.field;
      return out;
    });
}

function boxRect(box, kind, title, name) {
  if (!box) return null;
  return svg('rect', { x: box.x, y: box.y, width: box.width, height: box.height, class: `mark ${kind}`, 'data-field': name ?? null },
    svg('title', {}, document.createTextNode(title)));
}

function jobSummary(job) {
  const downloads = (job.outputs || []).map((ext) => h('button', {
    type: 'button', class: 'secondary', 'data-download': ext,
    onclick: () => download(`${INVOICES}/ocr-invoice-jobs/${job._id}/download/${ext}`, `invoice-${job._id}.${ext}`).catch((e) => notify(e.message)),
  }, `Download ${ext.toUpperCase()}`));
  return [
    h('dl', { class: 'facts inline' },
      h('dt', {}, 'Status'), h('dd', { id: 'invoice-status' }, `${job.status} (${job.pagesCompleted} of ${job.pageCount} pages)`),
      h('dt', {}, 'Quality'), h('dd', {}, job.qualityScore ? `${Math.round(job.qualityScore * 100)}%` : '—'),
      h('dt', {}, 'Read from'), h('dd', {}, job.source),
      h('dt', {}, 'Uploaded'), h('dd', {}, when(job.createdAt)),
    ),
    job.errorLog ? errorBox(job.errorLog) : null,
    (job.checks || []).length ? h('ul', { class: 'checks', 'aria-label': 'Arithmetic checks' }, job.checks.map((c) =>
      h('li', { class: c.passed ? 'passed' : 'failed', 'data-check': c.name }, checkSentence(c),
        h('span', { class: 'visually-hidden' }, c.passed ? ' (holds)' : ' (does not hold)')))) : null,
    downloads.length ? h('div', { class: 'actions' }, downloads) : null,
  ];
}

function fieldForm(names, job, save, revert) {
  const fields = job.extractedFields || {};
  return h('div', { class: 'field-list' }, names.map((name) => {
    const value = fields[name];
    const corrected = value?.source === 'correction';
    const engine = corrected ? value.original : value;
    // the normalised value (what a correction is compared and checked as); the printed text is the hint
    const input = h('input', { type: 'text', id: `field-${name}`, name, value: value?.normalized ?? value?.value ?? '', 'data-field': name });
    const problems = h('div');
    const form = h('form', { class: `invoice-field${corrected ? ' corrected' : ''}`, 'data-field': name },
      field(fieldLabel(name), input),
      h('button', { type: 'submit', class: 'small' }, 'Save'),
      corrected ? h('button', { type: 'button', class: 'small secondary', onclick: () => revert(name).catch((e) => replace(problems, errorBox(e.message))) }, 'Undo correction') : null,
      h('p', { class: 'provenance' },
        h('span', { class: 'engine-value' }, `Engine: ${engine ? engine.normalized ?? engine.value : 'not found'}`),
        engine && engine.value !== engine.normalized ? h('span', { class: 'printed' }, ` (printed “${engine.value}”)`) : '',
        engine ? ` (${Math.round((engine.confidence || 0) * 100)}%, ${engine.source})` : '',
        corrected ? h('span', { class: 'correction' }, ` · Corrected to “${value.normalized ?? value.value}” by ${value.correctedBy || 'anonymous'}, ${when(value.correctedAt)}`) : null),
      problems,
    );
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      replace(problems);
      try {
        await save(name, input.value);
      } catch (e) {
        replace(problems, errorBox(e.message));
      }
    });
    const mark = (on) => document.querySelectorAll(`.overlay [data-field="${name}"]`).forEach((r) => r.classList.toggle('active', on));
    input.addEventListener('focus', () => mark(true));
    input.addEventListener('blur', () => mark(false));
    return form;
  }));
}

/**
 * The line items, each row editable: its columns are saved together (Enter or Save), and a corrected cell shows
 * the engine's value under it. An item's index among its page's items is what its corrections name.
 */
function lineItemTable(items, save, revert) {
  if (!items.length) return h('p', { class: 'muted' }, 'No line items were found.');
  const seen = new Map();
  const pagesWithItems = new Set(items.map((i) => i.pageNumber)).size;
  const rows = items.map((item) => {
    const index = seen.get(item.pageNumber) ?? 0;
    seen.set(item.pageNumber, index + 1);
    const line = pagesWithItems > 1 ? `${item.pageNumber}.${index + 1}` : String(index + 1);
    return itemRow(item, index, line, save, revert);
  });
  return h('table', { class: 'line-items' },
    h('thead', {}, h('tr', {}, ['Line', ...ITEM_COLUMNS.map(([, title]) => title), ''].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows));
}

function itemRow(item, index, line, save, revert) {
  const key = `${item.pageNumber}-${index}`;
  const corrected = item.source === 'correction' ? item.correctedColumns || [] : [];
  const problems = h('div', { class: 'item-problems' });
  const form = h('form', { id: `item-${key}`, class: 'item-form', 'data-line': line });
  const inputs = {};
  const cells = ITEM_COLUMNS.map(([column, title]) => {
    const input = h('input', {
      type: 'text', form: form.id, id: `item-${key}-${column}`, name: column, value: item[column] ?? '',
      'aria-label': `Line ${line} ${title.toLowerCase()}`, class: column === 'description' ? 'wide' : 'number',
      inputmode: column === 'description' ? null : 'decimal',
    });
    inputs[column] = input;
    const was = corrected.includes(column) ? item.original?.[column] : undefined;
    return h('td', { class: `${column === 'description' ? 'wrap' : 'num'}${corrected.includes(column) ? ' corrected' : ''}` }, input,
      corrected.includes(column) ? h('span', { class: 'engine-value' }, `Engine: ${was ?? '—'}`) : null);
  });
  append(form, [
    h('button', { type: 'submit', class: 'small' }, 'Save', h('span', { class: 'visually-hidden' }, ` line ${line}`)),
    corrected.length ? h('button', {
      type: 'button', class: 'small secondary',
      onclick: () => revert(item, index, line).catch((e) => replace(problems, errorBox(e.message))),
    }, 'Undo', h('span', { class: 'visually-hidden' }, ` the corrections of line ${line}`)) : null,
  ]);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    replace(problems);
    try {
      await save(item, index, line, Object.fromEntries(Object.entries(inputs).map(([column, input]) => [column, input.value.trim()])));
    } catch (e) {
      replace(problems, errorBox(e.message));
    }
  });
  const who = corrected.length ? h('span', { class: 'correction' }, `Corrected by ${item.correctedBy || 'anonymous'}, ${when(item.correctedAt)}`) : null;
  return h('tr', { class: corrected.length ? 'corrected' : null, 'data-line': line },
    h('th', { scope: 'row', class: 'num' }, line), cells, h('td', { class: 'item-actions' }, form, who, problems));
}
