// Package pages/workshop: workshop items (/steam_workshop_manager) — subscribed items, unsubscribe,
// import their character cards (reference §4.9). Without Steam the server answers 503.

import { errorText } from '../i18n';
import type { PageContext } from '../context';
import { ApiError } from '../services/api';
import { errText, h, nav, showMsg } from '../ui/dom';

interface Item {
  publishedFileId: string;
  title?: string;
  description?: string;
  tags?: string[];
  state?: { installed?: boolean; downloading?: boolean; needsUpdate?: boolean };
  downloadProgress?: { percentage?: number };
}

export async function renderWorkshop(ctx: PageContext): Promise<void> {
  const { api, i18n, root } = ctx;
  const t = (k: string) => i18n.t(k);
  const msg = h('div', { class: 'msg', 'data-testid': 'msg' });
  const list = h('div', { class: 'card', 'data-testid': 'items' });
  const sync = h('button', { class: 'primary', 'data-testid': 'sync' }, t('workshop.sync'));
  root.replaceChildren(nav(i18n), h('div', { class: 'page' }, h('h1', {}, t('workshop.title')), msg, h('div', { class: 'row' }, sync), list));

  sync.addEventListener('click', async () => {
    try {
      // added/skipped/errors are counts (reference §4.9); the names come in added_names/skipped_names.
      const r = await api.post<{ added?: number; skipped?: number; errors?: number }>('/api/steam/workshop/sync-characters', {});
      showMsg(msg, i18n.t('workshop.synced', { added: r.added ?? 0, skipped: r.skipped ?? 0 }), 'ok');
    } catch (err) {
      showMsg(msg, errorText(i18n, err), 'error');
    }
  });

  const load = async () => {
    try {
      const r = await api.get<{ items?: Item[] }>('/api/steam/workshop/subscribed-items');
      const items = r.items ?? [];
      list.replaceChildren(h('h2', {}, t('workshop.subscribed')), ...(items.length ? items.map((it) => {
        const state = it.state?.downloading ? `${t('workshop.downloading')} ${Math.round(it.downloadProgress?.percentage ?? 0)}%`
          : it.state?.installed ? t('workshop.installed') : t('workshop.notInstalled');
        return h('div', { class: 'row' }, h('strong', {}, it.title ?? it.publishedFileId), ` · ${state} · ${(it.tags ?? []).join(', ')}`,
          h('button', { onclick: async () => {
            try {
              await api.post('/api/steam/workshop/unsubscribe', { item_id: it.publishedFileId });
              showMsg(msg, t('workshop.unsubscribed'), 'ok');
              await load();
            } catch (err) {
              showMsg(msg, errorText(i18n, err), 'error');
            }
          } }, t('workshop.unsubscribe')));
      }) : [h('p', {}, t('workshop.none'))]));
    } catch (err) {
      const unavailable = err instanceof ApiError && err.status === 503;
      list.replaceChildren(h('p', {}, unavailable ? t('workshop.unavailable') : errorText(i18n, err)));
    }
  };
  await load();
}
