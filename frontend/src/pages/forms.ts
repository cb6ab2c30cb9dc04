// Package pages/forms: small form builders shared by the settings pages.

import { h } from '../ui/dom';

export interface KvEditor {
  el: HTMLElement;
  value(): Record<string, string>;
}

/** kvEditor edits free-form profile fields (key → text). Reserved keys are not shown. */
export function kvEditor(data: Record<string, unknown>, reserved: Set<string>, addLabel: string): KvEditor {
  const rows = h('div', {});
  const addRow = (k: string, v: string) => {
    const key = h('input', { value: k, 'data-role': 'key' });
    const val = h('input', { value: v, 'data-role': 'val' });
    const row = h('div', { class: 'kv' }, key, val);
    row.append(h('button', { type: 'button', onclick: () => row.remove(), title: '×' }, '×'));
    rows.append(row);
  };
  for (const [k, v] of Object.entries(data)) {
    if (reserved.has(k) || k.startsWith('_')) continue;
    if (v !== null && typeof v === 'object') continue;
    addRow(k, String(v ?? ''));
  }
  const add = h('button', { type: 'button', onclick: () => addRow('', '') }, addLabel);
  return {
    el: h('div', {}, rows, add),
    value() {
      const out: Record<string, string> = {};
      rows.querySelectorAll('.kv').forEach((r) => {
        const k = (r.querySelector('[data-role=key]') as HTMLInputElement).value.trim();
        const v = (r.querySelector('[data-role=val]') as HTMLInputElement).value;
        if (k) out[k] = v;
      });
      return out;
    },
  };
}

/** select builds a <select> from value/label pairs. */
export function select(options: Array<[string, string]>, value: string, attrs: Record<string, string> = {}): HTMLSelectElement {
  const s = h('select', attrs);
  for (const [v, l] of options) s.append(h('option', { value: v }, l));
  if (value && !options.some(([v]) => v === value)) s.append(h('option', { value }, value));
  s.value = value;
  return s;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}
