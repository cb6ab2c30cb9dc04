// Package pages/memoryarchive: the long-term layers of the memory browser — the time-indexed
// original and compressed history of a character: list newest first, search (semantic + keyword
// recall), edit and delete. The main server forwards /api/memory/{name}/archive/… to the memory
// server's browser API (/memory/{name}/archive/…).

import { errorText, type I18n } from '../i18n';
import type { Api } from '../services/api';
import { enc } from '../services/api';
import { errText, h, showMsg } from '../ui/dom';
import { select } from './forms';

interface ArchiveItem {
  id: number;
  role?: string;
  text: string;
  timestamp?: string;
  score?: number;
}

export const LAYERS = ['original', 'compressed'] as const;

export async function archiveCard(api: Api, i18n: I18n, msg: HTMLElement, names: string[]): Promise<HTMLElement> {
  const t = (k: string) => i18n.t(k);
  let characters = names;
  try {
    const r = await api.get<{ characters?: string[] }>('/api/memory/characters');
    if (r.characters?.length) characters = r.characters;
  } catch {
    /* use the names from the recent files */
  }
  const who = select(characters.map((n) => [n, n]), characters[0] ?? '', { 'data-testid': 'archive-character' });
  const layer = select(LAYERS.map((l) => [l, t(`memory.layer_${l}`)]), 'original', { 'data-testid': 'archive-layer' });
  const query = h('input', { placeholder: t('memory.recall'), 'data-testid': 'archive-query' });
  const list = h('div', { 'data-testid': 'archive-list' });
  const base = () => `/api/memory/${enc(who.value)}/archive/${enc(layer.value)}`;

  let loads = 0;
  const load = async () => {
    const seq = ++loads; // a slower earlier load must not replace a newer list
    if (!who.value) {
      list.replaceChildren(h('p', {}, t('memory.none')));
      return;
    }
    try {
      const q = query.value.trim();
      const r = await api.get<{ items?: ArchiveItem[]; total?: number }>(`${base()}?limit=100${q ? `&q=${enc(q)}` : ''}`);
      if (seq !== loads) return;
      const items = r.items ?? [];
      list.dataset.shown = `${layer.value}:${q}`; // what the list shows (tests wait for it)
      list.replaceChildren(h('p', { class: 'msg' }, i18n.t('memory.count', { n: items.length, total: r.total ?? items.length })),
        ...items.map((it) => row(it)));
    } catch (err) {
      if (seq === loads) list.replaceChildren(h('p', { class: 'msg error' }, errorText(i18n, err)));
    }
  };

  const row = (it: ArchiveItem): HTMLElement => {
    const text = h('textarea', { 'data-testid': `archive-text-${it.id}` });
    text.value = it.text;
    const when = it.timestamp ? new Date(it.timestamp).toLocaleString(i18n.lang) : '';
    const save = h('button', { 'data-testid': `archive-save-${it.id}` }, t('common.save'));
    save.addEventListener('click', async () => {
      try {
        await api.put(`${base()}/${it.id}`, { text: text.value });
        showMsg(msg, t('common.saved'), 'ok');
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    });
    const del = h('button', { 'data-testid': `archive-del-${it.id}` }, t('common.delete'));
    del.addEventListener('click', async () => {
      try {
        await api.del(`${base()}/${it.id}`);
        showMsg(msg, t('common.deleted'), 'ok');
        await load();
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    });
    const score = it.score !== undefined ? ` · ${it.score.toFixed(3)}` : '';
    return h('div', { class: 'card' }, h('div', { class: 'row' }, `${it.role ?? ''} · ${when}${score}`, save, del), text);
  };

  who.addEventListener('change', () => void load());
  layer.addEventListener('change', () => void load());
  query.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') void load();
  });
  const go = h('button', { 'data-testid': 'archive-search', onclick: () => void load() }, t('memory.searchBtn'));
  await load();
  return h('div', { class: 'card' }, h('h2', {}, t('memory.archive')), h('div', { class: 'row' }, who, layer, query, go), list);
}
