// Package ui/dom: a tiny element builder and shared UI bits (toast, messages, nav).

import type { I18n } from '../i18n';

type Attrs = Record<string, string | number | boolean | EventListener | undefined>;
type Child = Node | string | null | undefined | false;

/** h creates an element; attributes starting with "on" are listeners, booleans toggle attributes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (k === 'value' && 'value' in el) (el as unknown as { value: string }).value = String(v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}

/** toast shows a short message in the corner. */
export function toast(text: string, ms = 4000): void {
  const el = h('div', { class: 'toast', role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), ms);
}

/** showMsg writes a success or error line into a message element. */
export function showMsg(el: HTMLElement, text: string, kind: 'ok' | 'error' | '' = ''): void {
  el.textContent = text;
  el.className = `msg ${kind}`;
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const NAV: Array<[string, string]> = [
  ['/', 'nav.home'],
  ['/chara_manager', 'nav.characters'],
  ['/api_key', 'nav.providers'],
  ['/model_manager', 'nav.models'],
  ['/live2d_emotion_manager', 'nav.emotions'],
  ['/memory_browser', 'nav.memory'],
  ['/agent', 'nav.agent'],
  ['/steam_workshop_manager', 'nav.workshop'],
  ['/voice_clone', 'nav.voiceClone'],
];

export function nav(i18n: I18n): HTMLElement {
  return h('nav', { class: 'top' }, ...NAV.map(([href, key]) => h('a', { href }, i18n.t(key))));
}

/** field builds a labelled row around an input. */
export function field(label: string, input: HTMLElement): HTMLElement {
  return h('div', { class: 'row' }, h('label', {}, label), input);
}
