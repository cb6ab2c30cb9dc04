// Package pages/memory: the memory browser (/memory_browser) — recent memory files: search, edit,
// delete messages, save; the auto-review switch (reference §4.6, §9.3).

import { errorText } from '../i18n';
import type { PageContext } from '../context';
import { enc } from '../services/api';
import { errText, h, nav, showMsg } from '../ui/dom';
import { select } from './forms';
import { archiveCard } from './memoryarchive';

export interface ChatLine {
  role: 'human' | 'ai' | 'system';
  text: string;
}

/** parseRecent turns the LangChain messages_to_dict file text into editable lines. */
export function parseRecent(content: string): ChatLine[] {
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch {
    throw new Error('recent memory file is not valid JSON');
  }
  if (!Array.isArray(raw)) return [];
  return raw.map((m): ChatLine => {
    const o = (m ?? {}) as { type?: string; data?: { content?: unknown } };
    const role = o.type === 'ai' || o.type === 'system' ? o.type : 'human';
    const c = o.data?.content;
    let text = '';
    if (typeof c === 'string') text = c;
    else if (Array.isArray(c)) text = c.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
    return { role, text };
  });
}

export async function renderMemory(ctx: PageContext): Promise<void> {
  const { api, i18n, root } = ctx;
  const t = (k: string) => i18n.t(k);
  const msg = h('div', { class: 'msg', 'data-testid': 'msg' });
  const body = h('div', {});
  const review = h('input', { type: 'checkbox', 'data-testid': 'review' });
  review.addEventListener('change', async () => {
    try {
      await api.post('/api/memory/review_config', { enabled: review.checked });
      showMsg(msg, t('common.saved'), 'ok');
    } catch (err) {
      showMsg(msg, errorText(i18n, err), 'error');
    }
  });
  root.replaceChildren(nav(i18n), h('div', { class: 'page' }, h('h1', {}, t('memory.title')), msg,
    h('div', { class: 'card' }, h('label', {}, review, ' ', t('memory.autoReview'))), body));
  api.get<{ enabled?: boolean }>('/api/memory/review_config').then((r) => {
    review.checked = r.enabled !== false;
  }).catch(() => undefined);

  let files: string[] = [];
  try {
    files = (await api.get<{ files?: string[] }>('/api/memory/recent_files')).files ?? [];
  } catch (err) {
    showMsg(msg, errorText(i18n, err), 'error');
  }
  const fileSel = select(files.map((f) => [f, f]), ctx.params.get('file') ?? files[0] ?? '', { 'data-testid': 'file' });
  const search = h('input', { placeholder: t('memory.search'), 'data-testid': 'search' });
  const rowsEl = h('div', {});
  let lines: ChatLine[] = [];

  const renderRows = () => {
    const q = search.value.trim().toLowerCase();
    rowsEl.replaceChildren();
    lines.forEach((line, i) => {
      if (q && !line.text.toLowerCase().includes(q)) return;
      const role = select([['human', t('memory.human')], ['ai', t('memory.ai')], ['system', t('memory.system')]], line.role);
      role.addEventListener('change', () => {
        line.role = role.value as ChatLine['role'];
      });
      const text = h('textarea', { 'data-testid': `line-${i}` });
      text.value = line.text;
      text.addEventListener('input', () => {
        line.text = text.value;
      });
      const del = h('button', { 'data-testid': `del-${i}`, onclick: () => {
        lines.splice(i, 1);
        renderRows();
      } }, t('common.delete'));
      rowsEl.append(h('div', { class: 'card' }, h('div', { class: 'row' }, role, del), text));
    });
  };
  search.addEventListener('input', renderRows);

  const load = async () => {
    if (!fileSel.value) {
      rowsEl.replaceChildren(h('p', {}, t('memory.none')));
      return;
    }
    try {
      const r = await api.get<{ content?: string }>(`/api/memory/recent_file?filename=${enc(fileSel.value)}`);
      lines = parseRecent(r.content ?? '[]');
      renderRows();
    } catch (err) {
      showMsg(msg, errorText(i18n, err), 'error');
    }
  };
  fileSel.addEventListener('change', () => void load());

  const save = h('button', { class: 'primary', 'data-testid': 'save' }, t('common.save'));
  save.addEventListener('click', async () => {
    try {
      await api.post('/api/memory/recent_file/save', { filename: fileSel.value, chat: lines });
      // Tell the main page to end its session so the next one reloads memory (reference §12.1).
      new BroadcastChannel('nekoBroadcastChannel').postMessage({ type: 'memory_edited', filename: fileSel.value });
      showMsg(msg, t('common.saved'), 'ok');
      await load();
    } catch (err) {
      showMsg(msg, errorText(i18n, err), 'error');
    }
  });
  body.replaceChildren(h('h2', {}, t('memory.recent')), h('div', { class: 'card' }, h('div', { class: 'row' }, fileSel, search, save)), rowsEl);
  await load();
  const names = files.map((f) => f.replace(/^recent_/, '').replace(/\.json$/, ''));
  body.append(await archiveCard(api, i18n, msg, names));
}
