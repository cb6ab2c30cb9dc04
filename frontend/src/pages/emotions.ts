// Package pages/emotions: emotion mapping editors — /live2d_emotion_manager (emotion → motion and
// expression files) and /vrm_emotion_manager (emotion → VRM expression names), with preview.

import { errorText } from '../i18n';
import { EMOTIONS, PERSISTENT, normalizeLive2DConfig, normalizeVrmMapping } from '../avatar/emotion';
import { loadAvatar } from '../avatar/load';
import { AvatarStage } from '../avatar/stage';
import type { PageContext } from '../context';
import { enc } from '../services/api';
import { errText, h, nav, showMsg } from '../ui/dom';
import { select } from './forms';

const split = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

export async function renderEmotions(ctx: PageContext): Promise<void> {
  const { api, i18n, root, path } = ctx;
  const t = (k: string) => i18n.t(k);
  const isVrm = path === '/vrm_emotion_manager';
  const msg = h('div', { class: 'msg', 'data-testid': 'msg' });
  const body = h('div', {});
  const previewBox = h('div', { class: 'preview' });
  const other = isVrm ? h('a', { href: '/live2d_emotion_manager' }, 'Live2D') : h('a', { href: '/vrm_emotion_manager' }, 'VRM');
  root.replaceChildren(nav(i18n), h('div', { class: 'page' }, h('h1', {}, `${t('emotions.title')} — ${isVrm ? 'VRM' : 'Live2D'}`), other,
    msg, body, h('div', { class: 'card' }, previewBox)));
  const stage = new AvatarStage(previewBox, { api, interactive: false });

  // model list: name → path
  const models = new Map<string, string>();
  if (isVrm) {
    const r = await api.get<{ models?: Array<{ name: string; url: string }> }>('/api/model/vrm/models').catch(() => ({ models: [] }));
    for (const m of r.models ?? []) models.set(m.name, m.url);
  } else {
    const r = await api.get<Array<{ name: string; path: string }>>('/api/live2d/models').catch(() => []);
    for (const m of Array.isArray(r) ? r : []) models.set(m.name, m.path);
  }
  const names = [...models.keys()];
  const modelSel = select(names.map((n) => [n, n]), ctx.params.get('model') ?? names[0] ?? '', { 'data-testid': 'model' });
  modelSel.addEventListener('change', () => void show(modelSel.value));

  let loads = 0;
  async function show(name: string): Promise<void> {
    if (!name) {
      body.replaceChildren(h('div', { class: 'card' }, t('emotions.noModels')));
      return;
    }
    const modelPath = models.get(name) ?? '';
    const base = isVrm ? `/api/model/vrm/emotion_mapping/${enc(name)}` : `/api/live2d/emotion_mapping/${enc(name)}`;
    const r = await api.get<{ config?: unknown }>(base).catch(() => ({ config: {} }));
    const rows = h('table', {});
    const inputs: Array<{ emotion: string; group: 'expressions' | 'motions' | 'vrm'; el: HTMLInputElement }> = [];
    const listId = 'emotion-names';
    const datalist = h('datalist', { id: listId });
    // The preview loads beside the form; its expression names join the suggestions when ready.
    const seq = ++loads;
    void loadAvatar(api, previewBox, { modelType: isVrm ? 'vrm' : 'live2d', modelPath }).then(async (avatar) => {
      if (seq !== loads) return avatar.dispose(); // another model was picked meanwhile
      await stage.show(avatar, false);
      for (const n of avatar.expressionNames()) datalist.append(h('option', { value: n }));
    }).catch((err: unknown) => showMsg(msg, `${t('home.modelFailed')}: ${errorText(i18n, err)}`, 'error'));
    if (!isVrm) {
      const files = await api.get<Record<string, unknown>>(`/api/live2d/model_files/${enc(name)}`).catch(() => ({}));
      for (const k of ['motion_files', 'expression_files', 'motions', 'expressions']) {
        const v = (files as Record<string, unknown>)[k];
        if (Array.isArray(v)) for (const f of v) if (typeof f === 'string') datalist.append(h('option', { value: f }));
      }
    }
    if (isVrm) {
      const cfg = normalizeVrmMapping(r.config);
      rows.append(h('tr', {}, h('th', {}, t('emotions.emotion')), h('th', {}, t('emotions.expressions'))));
      for (const e of EMOTIONS) {
        const el = h('input', { value: (cfg[e] ?? []).join(', '), list: listId, 'data-testid': `vrm-${e}` });
        inputs.push({ emotion: e, group: 'vrm', el });
        rows.append(h('tr', {}, h('td', {}, t(`emotions.${e}`)), h('td', {}, el, previewBtn(el))));
      }
    } else {
      const cfg = normalizeLive2DConfig(r.config);
      rows.append(h('tr', {}, h('th', {}, t('emotions.emotion')), h('th', {}, t('emotions.expressions')), h('th', {}, t('emotions.motions'))));
      for (const e of [...EMOTIONS.filter((x) => x !== 'relaxed'), PERSISTENT]) {
        const ex = h('input', { value: (cfg.expressions[e] ?? []).join(', '), list: listId, 'data-testid': `exp-${e}` });
        const mo = h('input', { value: (cfg.motions[e] ?? []).join(', '), list: listId, 'data-testid': `mot-${e}` });
        inputs.push({ emotion: e, group: 'expressions', el: ex }, { emotion: e, group: 'motions', el: mo });
        rows.append(h('tr', {}, h('td', {}, e === PERSISTENT ? t('emotions.persistent') : t(`emotions.${e}`)), h('td', {}, ex, previewBtn(ex)), h('td', {}, mo, previewBtn(mo))));
      }
    }
    const save = h('button', { class: 'primary', 'data-testid': 'save' }, t('common.save'));
    save.addEventListener('click', async () => {
      let payload: unknown;
      if (isVrm) {
        payload = Object.fromEntries(inputs.map((i) => [i.emotion, split(i.el.value)]));
      } else {
        const out = { motions: {} as Record<string, string[]>, expressions: {} as Record<string, string[]> };
        for (const i of inputs) if (i.group !== 'vrm') out[i.group][i.emotion] = split(i.el.value);
        payload = out;
      }
      try {
        await api.post(base, payload);
        showMsg(msg, t('common.saved'), 'ok');
        await show(name);
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    });
    body.replaceChildren(h('div', { class: 'card' }, h('div', { class: 'row' }, h('label', {}, t('emotions.model')), modelSel), datalist, rows, save));
  }

  function previewBtn(input: HTMLInputElement): HTMLElement {
    return h('button', { type: 'button', onclick: () => {
      const first = split(input.value)[0];
      if (first) stage.current?.previewExpression(first);
    } }, '▶');
  }

  await show(modelSel.value);
}
