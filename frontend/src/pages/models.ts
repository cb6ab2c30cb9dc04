// Package pages/models: the model manager (/model_manager, /l2d) — list, preview, upload with a
// progress bar (a Live2D folder or a .vrm), delete (reference §4.4, §4.5).

import { errorText } from '../i18n';
import { loadAvatar } from '../avatar/load';
import { AvatarStage } from '../avatar/stage';
import type { PageContext } from '../context';
import { enc } from '../services/api';
import { errText, h, nav, showMsg } from '../ui/dom';
import { checkLive2DFolder, checkVrmHeader } from './modelcheck';

interface L2DModel { name: string; display_name?: string; path: string; source?: string }
interface VrmModel { name: string; filename?: string; url: string; location?: string }

export async function renderModels(ctx: PageContext): Promise<void> {
  const { api, i18n, root } = ctx;
  const t = (k: string) => i18n.t(k);
  const msg = h('div', { class: 'msg', 'data-testid': 'msg' });
  const list = h('div', { class: 'card' });
  const previewBox = h('div', { class: 'preview', 'data-testid': 'preview' });
  const progress = h('progress', { max: 1, value: 0, 'data-testid': 'progress' });
  const l2dInput = h('input', { type: 'file', multiple: true, 'data-testid': 'live2d-input' });
  l2dInput.setAttribute('webkitdirectory', '');
  const vrmInput = h('input', { type: 'file', accept: '.vrm', 'data-testid': 'vrm-input' });
  const uploadCard = h('div', { class: 'card' }, h('h2', {}, t('models.upload')),
    h('div', { class: 'row' }, h('label', {}, t('models.live2dFolder')), l2dInput),
    h('div', { class: 'row' }, h('label', {}, t('models.vrmFile')), vrmInput),
    h('div', { class: 'row' }, progress));
  root.replaceChildren(nav(i18n), h('div', { class: 'page' }, h('h1', {}, t('models.title')), msg, uploadCard, list,
    h('div', { class: 'card' }, h('h2', {}, t('models.preview')), previewBox)));

  const stage = new AvatarStage(previewBox, { api, interactive: false });
  let loads = 0;
  const preview = async (modelType: 'live2d' | 'vrm', modelPath: string) => {
    const seq = ++loads;
    try {
      const avatar = await loadAvatar(api, previewBox, { modelType, modelPath });
      if (seq !== loads) return avatar.dispose(); // another preview was asked for meanwhile
      await stage.show(avatar, false);
      previewBox.dataset.avatar = modelType;
    } catch (err) {
      showMsg(msg, `${t('home.modelFailed')}: ${errorText(i18n, err)}`, 'error');
    }
  };

  /** deleteButton removes a user model after a confirmation. */
  const deleteButton = (name: string, path: string) => h('button', {
    'data-testid': `delete-${name}`,
    onclick: async () => {
      if (!confirm(i18n.t('models.confirmDelete', { name }))) return;
      try {
        await api.del(path);
        showMsg(msg, t('common.deleted'), 'ok');
        await refresh();
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
    },
  }, t('common.delete'));

  async function refresh(): Promise<void> {
    const [l2d, vrm] = await Promise.all([
      api.get<L2DModel[]>('/api/live2d/models').catch(() => [] as L2DModel[]),
      api.get<{ models?: VrmModel[] }>('/api/model/vrm/models').catch(() => ({ models: [] as VrmModel[] })),
    ]);
    const table = h('table', { 'data-testid': 'model-list' }, h('tr', {}, h('th', {}, t('models.name')), h('th', {}, t('models.type')), h('th', {}, '')));
    for (const m of Array.isArray(l2d) ? l2d : []) {
      const actions = h('td', {}, h('button', { 'data-testid': `preview-${m.name}`, onclick: () => void preview('live2d', m.path) }, t('models.preview')));
      if (m.source === 'documents') actions.append(deleteButton(m.name, `/api/live2d/model/${enc(m.name)}`));
      table.append(h('tr', {}, h('td', {}, m.display_name ?? m.name), h('td', {}, 'Live2D'), actions));
    }
    for (const m of vrm.models ?? []) {
      const actions = h('td', {}, h('button', { 'data-testid': `preview-${m.name}`, onclick: () => void preview('vrm', m.url) }, t('models.preview')));
      if (m.location === 'user') actions.append(deleteButton(m.name, `/api/model/vrm/model/${enc(m.filename ?? `${m.name}.vrm`)}`));
      table.append(h('tr', {}, h('td', {}, m.name), h('td', {}, 'VRM'), actions));
    }
    list.replaceChildren(h('h2', {}, t('models.list')), table);
  }

  const upload = async (path: string, form: FormData) => {
    progress.value = 0;
    try {
      await api.upload(path, form, (f) => {
        progress.value = f;
      });
      showMsg(msg, t('models.uploaded'), 'ok');
      await refresh();
    } catch (err) {
      progress.value = 0;
      showMsg(msg, `${t('models.uploadFailed')}: ${errorText(i18n, err)}`, 'error');
    }
  };

  l2dInput.addEventListener('change', async () => {
    const files = Array.from(l2dInput.files ?? []);
    const bad = checkLive2DFolder(files.map((f) => ({ name: f.name, size: f.size, path: f.webkitRelativePath || f.name })));
    if (bad) {
      showMsg(msg, t(bad), 'error');
      l2dInput.value = '';
      return;
    }
    const form = new FormData();
    for (const f of files) form.append('files', f, f.webkitRelativePath || f.name);
    await upload('/api/live2d/upload_model', form);
    l2dInput.value = '';
  });
  vrmInput.addEventListener('change', async () => {
    const f = vrmInput.files?.[0];
    if (!f) return;
    const head = new Uint8Array(await f.slice(0, 12).arrayBuffer());
    const bad = checkVrmHeader(f.name, f.size, head);
    if (bad) {
      showMsg(msg, t(bad), 'error');
      vrmInput.value = '';
      return;
    }
    const form = new FormData();
    form.append('file', f, f.name);
    await upload('/api/model/vrm/upload', form);
    vrmInput.value = '';
  });

  await refresh();
}
