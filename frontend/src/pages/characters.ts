// Package pages/characters: the character manager (/chara_manager) — master profile, characters
// (free-form fields, system prompt), model and voice binding, current character (reference §4.3).

import { errorText } from '../i18n';
import type { PageContext } from '../context';
import { enc } from '../services/api';
import { errText, field, h, nav, showMsg } from '../ui/dom';
import { kvEditor, select, str } from './forms';

const FALLBACK_RESERVED = ['_reserved', 'live2d', 'voice_id', 'system_prompt', 'model_type', 'vrm', 'vrm_animation',
  'lighting', 'vrm_rotation', 'live2d_item_id', 'item_id', 'idleAnimation'];

interface Characters {
  主人?: Record<string, unknown>;
  猫娘?: Record<string, Record<string, unknown>>;
  当前猫娘?: string;
}

export async function renderCharacters(ctx: PageContext): Promise<void> {
  const { api, i18n, root } = ctx;
  const t = (k: string) => i18n.t(k);
  const msg = h('div', { class: 'msg', 'data-testid': 'msg' });
  const body = h('div', {});
  root.replaceChildren(nav(i18n), h('div', { class: 'page' }, h('h1', {}, t('chara.title')), msg, body));

  let reserved = new Set(FALLBACK_RESERVED);
  try {
    const r = await api.get<{ all_reserved_fields?: string[] }>('/api/config/character_reserved_fields');
    if (r.all_reserved_fields?.length) reserved = new Set(r.all_reserved_fields);
  } catch {
    /* built-in list */
  }
  const [l2d, vrm, voices] = await Promise.all([
    api.get<Array<{ name: string; path: string }>>('/api/live2d/models').catch(() => []),
    api.get<{ models?: Array<{ name: string; url: string }> }>('/api/model/vrm/models').catch(() => ({ models: [] })),
    api.get<{ voices?: Record<string, unknown> }>('/api/characters/voices').catch(() => ({ voices: {} })),
  ]);

  async function load(selected?: string): Promise<void> {
    const data = await api.get<Characters>('/api/characters/');
    const cats = data.猫娘 ?? {};
    const names = Object.keys(cats);
    const current = data.当前猫娘 ?? names[0] ?? '';
    const chosen = selected && cats[selected] ? selected : current;
    body.replaceChildren(masterCard(data.主人 ?? {}), listCard(names, current, chosen), ...(chosen ? [editCard(chosen, cats[chosen] ?? {})] : []));
  }

  function masterCard(master: Record<string, unknown>): HTMLElement {
    const name = h('input', { value: str(master['档案名']), 'data-testid': 'master-name' });
    const kv = kvEditor(Object.fromEntries(Object.entries(master).filter(([k]) => k !== '档案名')), reserved, t('chara.addField'));
    const save = h('button', { class: 'primary', 'data-testid': 'master-save' }, t('common.save'));
    save.addEventListener('click', async () => {
      try {
        if (!name.value.trim()) throw new Error(t('chara.nameRequired'));
        await api.post('/api/characters/master', { 档案名: name.value.trim(), ...kv.value() });
        showMsg(msg, t('common.saved'), 'ok');
        await load();
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    });
    return h('div', { class: 'card' }, h('h2', {}, t('chara.master')), field(t('chara.name'), name), kv.el, save);
  }

  function listCard(names: string[], current: string, chosen: string): HTMLElement {
    const sel = select(names.map((n) => [n, n === current ? `${n} ★` : n]), chosen, { 'data-testid': 'chara-select' });
    sel.addEventListener('change', () => void load(sel.value));
    const newName = h('input', { placeholder: t('chara.newName'), 'data-testid': 'new-name' });
    const create = h('button', { 'data-testid': 'create' }, t('chara.create'));
    create.addEventListener('click', async () => {
      const n = newName.value.trim();
      if (!n) return showMsg(msg, t('chara.nameRequired'), 'error');
      try {
        await api.post('/api/characters/catgirl', { 档案名: n });
        showMsg(msg, t('common.saved'), 'ok');
        await load(n);
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    });
    return h('div', { class: 'card' }, h('h2', {}, t('chara.characters')), h('div', { class: 'row' }, sel, newName, create));
  }

  function editCard(name: string, c: Record<string, unknown>): HTMLElement {
    const kv = kvEditor(c, reserved, t('chara.addField'));
    const prompt = h('textarea', { 'data-testid': 'system-prompt' });
    prompt.value = str(c.system_prompt);
    const modelType = select([['live2d', 'Live2D'], ['vrm', 'VRM']], str(c.model_type) || 'live2d', { 'data-testid': 'model-type' });
    const l2dSel = select([['', '—'], ...l2d.map((m): [string, string] => [m.name, m.name])], str(c.live2d), { 'data-testid': 'live2d-model' });
    const vrmSel = select([['', '—'], ...(vrm.models ?? []).map((m): [string, string] => [m.url, m.name])], str(c.vrm), { 'data-testid': 'vrm-model' });
    const voiceSel = select([['', '—'], ...Object.keys(voices.voices ?? {}).map((v): [string, string] => [v, v])], str(c.voice_id), { 'data-testid': 'voice' });

    const save = h('button', { class: 'primary', 'data-testid': 'chara-save' }, t('common.save'));
    save.addEventListener('click', async () => {
      try {
        await api.put(`/api/characters/catgirl/${enc(name)}`, { ...kv.value(), system_prompt: prompt.value });
        const type = modelType.value;
        const binding: Record<string, string> = { model_type: type };
        if (type === 'vrm' && vrmSel.value) binding.vrm = vrmSel.value;
        if (type === 'live2d' && l2dSel.value) binding.live2d = l2dSel.value;
        if (binding.vrm || binding.live2d) {
          await api.put(`/api/characters/catgirl/l2d/${enc(name)}`, binding);
          new BroadcastChannel('nekoBroadcastChannel').postMessage({ type: 'reload_model' });
        }
        if (voiceSel.value !== str(c.voice_id)) await api.put(`/api/characters/catgirl/voice_id/${enc(name)}`, { voice_id: voiceSel.value });
        showMsg(msg, t('common.saved'), 'ok');
        await load(name);
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    });
    const makeCurrent = h('button', { 'data-testid': 'make-current' }, t('chara.makeCurrent'));
    makeCurrent.addEventListener('click', async () => {
      try {
        await api.post('/api/characters/current_catgirl', { catgirl_name: name });
        showMsg(msg, t('common.saved'), 'ok');
        await load(name);
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    });
    const del = h('button', { 'data-testid': 'delete' }, t('common.delete'));
    del.addEventListener('click', async () => {
      if (!confirm(i18n.t('chara.confirmDelete', { name }))) return;
      try {
        await api.del(`/api/characters/catgirl/${enc(name)}`);
        showMsg(msg, t('common.deleted'), 'ok');
        await load();
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    });
    return h('div', { class: 'card' }, h('h2', {}, name), kv.el,
      h('h3', {}, t('chara.systemPrompt')), prompt,
      field(t('chara.modelType'), modelType), field('Live2D', l2dSel), field('VRM', vrmSel), field(t('chara.voice'), voiceSel),
      h('div', { class: 'row' }, save, makeCurrent, del));
  }

  try {
    await load();
  } catch (err) {
    showMsg(msg, errorText(i18n, err), 'error');
  }
}
