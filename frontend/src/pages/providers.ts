// Package pages/providers: provider settings (/api_key) — core (realtime) and assist providers,
// keys, custom per-model endpoints, with a live connectivity check per key (reference §4.2, §11.2).

import type { PageContext } from '../context';
import { errorText, statusText } from '../i18n';
import { errText, field, h, nav, showMsg } from '../ui/dom';
import { select, str } from './forms';

interface Provider {
  key: string;
  name?: string;
}

const ASSIST_KEYS = ['Qwen', 'Openai', 'Glm', 'Step', 'Silicon', 'Gemini', 'Kimi'];
const MODELS = ['conversation', 'summary', 'correction', 'emotion', 'vision', 'agent', 'omni', 'tts'];

export async function renderProviders(ctx: PageContext): Promise<void> {
  const { api, i18n, root } = ctx;
  const t = (k: string) => i18n.t(k);
  const msg = h('div', { class: 'msg', 'data-testid': 'msg' });
  const body = h('div', {});
  root.replaceChildren(nav(i18n), h('div', { class: 'page' }, h('h1', {}, t('providers.title')), msg, body));

  const [cfg, prov] = await Promise.all([
    api.get<Record<string, unknown>>('/api/config/core_api'),
    api.get<{ core_api_providers?: Provider[]; assist_api_providers?: Provider[] }>('/api/config/api_providers').catch(() => ({})),
  ]);
  const pv = prov as { core_api_providers?: Provider[]; assist_api_providers?: Provider[] };
  const opts = (list: Provider[] | undefined): Array<[string, string]> => (list ?? []).map((p) => [p.key, p.name ?? p.key]);

  const inputs: Record<string, HTMLInputElement | HTMLSelectElement> = {};
  const coreApi = select(opts(pv.core_api_providers), str(cfg.coreApi), { 'data-testid': 'coreApi' });
  const assistApi = select(opts(pv.assist_api_providers), str(cfg.assistApi), { 'data-testid': 'assistApi' });
  inputs.coreApi = coreApi;
  inputs.assistApi = assistApi;

  /** keyRow is a password field with a Test button that probes the provider with that key. */
  const keyRow = (label: string, key: string, value: string, provider: () => string, kind: 'core' | 'assist') => {
    const input = h('input', { type: 'password', value, autocomplete: 'off', 'data-testid': key });
    inputs[key] = input;
    const light = h('span', { class: 'msg', 'data-testid': `${key}-check` });
    const test = h('button', { type: 'button' }, t('providers.test'));
    test.addEventListener('click', async () => {
      showMsg(light, t('providers.testing'));
      try {
        const r = await api.post<{ ok?: boolean; code?: string; message?: string }>('/api/config/test_connection', {
          kind, provider: provider(), api_key: input.value,
        });
        if (r.ok === false) throw new Error(r.code ? statusText(i18n, JSON.stringify({ code: r.code })) : str(r.message));
        showMsg(light, t('providers.ok'), 'ok');
      } catch (err) {
        showMsg(light, errorText(i18n, err), 'error');
      }
    });
    return h('div', { class: 'row' }, h('label', {}, label), input, test, light);
  };

  const coreCard = h('div', { class: 'card' }, h('h2', {}, t('providers.core')), field(t('providers.provider'), coreApi),
    keyRow(t('providers.key'), 'coreApiKey', str(cfg.api_key ?? cfg.coreApiKey), () => coreApi.value, 'core'));
  const assistCard = h('div', { class: 'card' }, h('h2', {}, t('providers.assist')), field(t('providers.provider'), assistApi),
    ...ASSIST_KEYS.map((k) => keyRow(`${k}`, `assistApiKey${k}`, str(cfg[`assistApiKey${k}`]), () => k.toLowerCase(), 'assist')));

  const custom = h('input', { type: 'checkbox', 'data-testid': 'enableCustomApi' });
  custom.checked = cfg.enableCustomApi === true;
  inputs.enableCustomApi = custom;
  const table = h('table', {}, h('tr', {}, h('th', {}, t('providers.model')), h('th', {}, 'URL'), h('th', {}, 'ID'), h('th', {}, t('providers.key'))));
  for (const m of MODELS) {
    const cells = ['Url', 'Id', 'ApiKey'].map((suffix) => {
      const k = `${m}Model${suffix}`;
      const i = h('input', { value: str(cfg[k]), type: suffix === 'ApiKey' ? 'password' : 'text', 'data-testid': k });
      inputs[k] = i;
      return h('td', {}, i);
    });
    // Test saves the form, then checks the saved endpoint of this row with the smallest real call.
    const light = h('span', { class: 'msg', 'data-testid': `${m}-check` });
    const test = h('button', { type: 'button', 'data-testid': `${m}-test` }, t('providers.test'));
    test.addEventListener('click', async () => {
      showMsg(light, t('providers.testing'));
      try {
        await saveAll();
        const r = await api.post<{ ok?: boolean; code?: string; message?: string }>('/api/config/test_connection', { kind: 'custom', role: m });
        if (r.ok === false) throw new Error(r.code ? statusText(i18n, JSON.stringify({ code: r.code })) : str(r.message));
        showMsg(light, t('providers.ok'), 'ok');
      } catch (err) {
        showMsg(light, errorText(i18n, err), 'error');
      }
    });
    table.append(h('tr', {}, h('td', {}, m), ...cells, h('td', {}, test, ' ', light)));
  }
  const voice = h('input', { value: str(cfg.ttsVoiceId), 'data-testid': 'ttsVoiceId' });
  inputs.ttsVoiceId = voice;
  const customCard = h('div', { class: 'card' }, h('h2', {}, t('providers.custom')), field(t('providers.enableCustom'), custom), table,
    field(t('providers.ttsVoice'), voice));

  /** saveAll posts every field; masked keys come back as they were sent and the server keeps them. */
  async function saveAll(): Promise<{ message?: string; sessions_ended?: number }> {
    const body: Record<string, unknown> = {};
    for (const [k, el] of Object.entries(inputs)) body[k] = el instanceof HTMLInputElement && el.type === 'checkbox' ? el.checked : el.value;
    return api.post<{ message?: string; sessions_ended?: number }>('/api/config/core_api', body);
  }
  const save = h('button', { class: 'primary', 'data-testid': 'save' }, t('common.save'));
  save.addEventListener('click', async () => {
    try {
      const r = await saveAll();
      showMsg(msg, r.message || t('common.saved'), 'ok');
    } catch (err) {
      showMsg(msg, errorText(i18n, err), 'error');
    }
  });
  body.replaceChildren(coreCard, assistCard, customCard, save);
}
