// Package pages/voiceclone: voice clone (/voice_clone) — upload a 10–15 s sample with its language,
// clone it, list, preview and delete voices (reference §4.3).

import { errorText } from '../i18n';
import type { PageContext } from '../context';
import { enc } from '../services/api';
import { errText, field, h, nav, showMsg } from '../ui/dom';
import { select } from './forms';

const LANGS = ['ch', 'en', 'fr', 'de', 'ja', 'ko', 'ru'];

export async function renderVoiceClone(ctx: PageContext): Promise<void> {
  const { api, i18n, root } = ctx;
  const t = (k: string) => i18n.t(k);
  const msg = h('div', { class: 'msg', 'data-testid': 'msg' });
  const file = h('input', { type: 'file', accept: 'audio/*', 'data-testid': 'audio' });
  const prefix = h('input', { placeholder: 'myvoice', 'data-testid': 'prefix' });
  const lang = select(LANGS.map((l) => [l, t(`voice.lang_${l}`)]), 'ch', { 'data-testid': 'lang' });
  const progress = h('progress', { max: 1, value: 0 });
  const go = h('button', { class: 'primary', 'data-testid': 'clone' }, t('voice.clone'));
  const list = h('div', { class: 'card', 'data-testid': 'voices' });
  const player = h('audio', { controls: true });
  root.replaceChildren(nav(i18n), h('div', { class: 'page' }, h('h1', {}, t('voice.title')), msg,
    h('div', { class: 'card' }, h('p', {}, t('voice.hint')), field(t('voice.sample'), file), field(t('voice.prefix'), prefix),
      field(t('voice.language'), lang), h('div', { class: 'row' }, go, progress)), list, player));

  go.addEventListener('click', async () => {
    const f = file.files?.[0];
    if (!f) return showMsg(msg, t('voice.needFile'), 'error');
    if (!/^[A-Za-z0-9_-]{1,20}$/.test(prefix.value)) return showMsg(msg, t('voice.badPrefix'), 'error');
    const form = new FormData();
    form.append('file', f, f.name);
    form.append('prefix', prefix.value);
    form.append('ref_language', lang.value);
    try {
      const r = await api.upload<{ voice_id?: string; message?: string; reused?: boolean }>('/api/characters/voice_clone', form, (p) => {
        progress.value = p;
      });
      showMsg(msg, `${t('voice.cloned')}: ${r.voice_id ?? ''}${r.reused ? ` (${t('voice.reused')})` : ''}`, 'ok');
      await load();
    } catch (err) {
      progress.value = 0;
      showMsg(msg, errorText(i18n, err), 'error');
    }
  });

  const load = async () => {
    const r = await api.get<{ voices?: Record<string, unknown>; voice_owners?: Record<string, string[]> }>('/api/characters/voices').catch(() => ({ voices: {} }));
    const owners = (r as { voice_owners?: Record<string, string[]> }).voice_owners ?? {};
    const ids = Object.keys(r.voices ?? {});
    list.replaceChildren(h('h2', {}, t('voice.list')), ...(ids.length ? ids.map((id) => h('div', { class: 'row' }, id,
      (owners[id] ?? []).length ? ` · ${(owners[id] ?? []).join(', ')}` : '',
      h('button', { onclick: async () => {
        try {
          const p = await api.get<{ audio?: string; mime_type?: string }>(`/api/characters/voice_preview?voice_id=${enc(id)}`);
          if (p.audio) {
            player.src = `data:${p.mime_type ?? 'audio/mpeg'};base64,${p.audio}`;
            await player.play();
          }
        } catch (err) {
          showMsg(msg, errorText(i18n, err), 'error');
        }
      } }, t('voice.preview')),
      h('button', { onclick: async () => {
        if (!confirm(i18n.t('voice.confirmDelete', { id }))) return;
        try {
          await api.del(`/api/characters/voices/${enc(id)}`);
          showMsg(msg, t('common.deleted'), 'ok');
          await load();
        } catch (err) {
          showMsg(msg, errorText(i18n, err), 'error');
        }
      } }, t('common.delete')))) : [h('p', {}, t('voice.none'))]));
  };
  await load();
}
