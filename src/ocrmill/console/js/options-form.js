// The job options form, generated from the server's description of the job properties (console/options):
// one collapsible fieldset per group of the ownOCR document, a labelled control per property.

import { checkbox, field, h } from './dom.js';

const OPEN_GROUPS = new Set(['general', 'outputs']);
let formCounter = 0;

/**
 * Builds the form part.
 * @param {{groups: Array<{id: string, label: string, options: Array<Object>}>}} description
 * @param {{omit?: string[]}} [settings] properties the console sets itself (left out of the form)
 * @returns {{element: HTMLElement, read: () => Object, set: (values: Object) => void}}
 */
export function optionsForm(description, { omit = [] } = {}) {
  const prefix = `opt${++formCounter}`;
  const controls = new Map(); // name -> {option, get, set}
  const groups = description.groups.map((group) => {
    const items = group.options.filter((o) => !omit.includes(o.name)).map((option) => {
      const control = makeControl(option, `${prefix}-${option.name}`);
      controls.set(option.name, { option, ...control });
      control.set(option.default);
      return control.element;
    });
    return h('details', { class: 'option-group', open: OPEN_GROUPS.has(group.id), 'data-group': group.id },
      h('summary', {}, group.label),
      h('fieldset', {}, h('legend', { class: 'visually-hidden' }, group.label), h('div', { class: 'option-grid' }, items)),
    );
  });
  return {
    element: h('div', { class: 'options' }, groups),
    read() {
      const values = {};
      for (const [name, control] of controls) values[name] = control.get();
      return values;
    },
    set(values) {
      for (const [name, control] of controls) {
        control.set(values[name] !== undefined ? values[name] : control.option.default);
      }
    },
  };
}

function makeControl(option, id) {
  switch (option.type) {
    case 'bool': {
      const wrap = checkbox(option.label, { id, name: option.name }, option.help);
      const box = wrap.querySelector('input');
      return { element: wrap, get: () => box.checked, set: (v) => { box.checked = Boolean(v); } };
    }
    case 'enum': {
      const select = h('select', { id, name: option.name }, option.choices.map((c) => h('option', { value: c.value }, c.label)));
      return { element: field(option.label, select, option.help), get: () => Number(select.value), set: (v) => { select.value = String(v); } };
    }
    case 'flags':
    case 'languages':
      return choiceSet(option, id);
    case 'int':
    case 'float': {
      const input = h('input', {
        id, name: option.name, type: 'number', inputmode: option.type === 'int' ? 'numeric' : 'decimal',
        min: option.min ?? null, max: option.max ?? null, step: option.type === 'int' ? 1 : 'any',
      });
      return {
        element: field(option.label, input, option.help),
        get: () => (input.value === '' ? option.default : Number(input.value)),
        set: (v) => { input.value = String(v); },
      };
    }
    default: {
      const input = h('input', { id, name: option.name, type: 'text', maxlength: 4000 });
      return { element: field(option.label, input, option.help), get: () => input.value, set: (v) => { input.value = v ?? ''; } };
    }
  }
}

/** Several checkboxes: a sum of bits (flags) or a comma-separated list of names (languages). */
function choiceSet(option, id) {
  const boxes = option.choices.map((choice, i) => {
    const wrap = checkbox(choice.label, { id: `${id}-${i}`, value: choice.value, 'data-choice': choice.value });
    return wrap;
  });
  const inputs = () => boxes.map((b) => b.querySelector('input'));
  const hintId = `${id}-hint`;
  const element = h('fieldset', { class: `choice-set ${option.type}`, 'aria-describedby': hintId },
    h('legend', {}, option.label),
    h('span', { class: 'hint', id: hintId }, option.help),
    h('div', { class: 'choices' }, boxes),
  );
  if (option.type === 'flags') {
    return {
      element,
      get: () => inputs().reduce((sum, box) => sum + (box.checked ? Number(box.value) : 0), 0),
      set: (v) => inputs().forEach((box) => { box.checked = (Number(v) & Number(box.value)) !== 0; }),
    };
  }
  return {
    element,
    get: () => inputs().filter((box) => box.checked).map((box) => box.value).join(','),
    set: (v) => {
      const wanted = new Set(String(v || '').split(/[,;]/).map((s) => s.trim().toLowerCase()));
      inputs().forEach((box) => { box.checked = wanted.has(box.value.toLowerCase()); });
    },
  };
}
