// Entry point: picks the language, then renders the page for location.pathname (the server sends
// index.html for every page route).

import './styles.css';
import en from './i18n/locales/en.json';
import ja from './i18n/locales/ja.json';
import zhCN from './i18n/locales/zh-CN.json';
import { I18n, pickLanguage, type Locales } from './i18n';
import { Api } from './services/api';
import type { PageContext } from './context';
import { errText } from './ui/dom';
import './desktop/install';

const locales: Locales = { en, ja, 'zh-CN': zhCN };

type PageFn = (ctx: PageContext) => Promise<void>;

const PAGES: Record<string, () => Promise<PageFn>> = {
  '/chara_manager': async () => (await import('./pages/characters')).renderCharacters,
  '/api_key': async () => (await import('./pages/providers')).renderProviders,
  '/model_manager': async () => (await import('./pages/models')).renderModels,
  '/l2d': async () => (await import('./pages/models')).renderModels,
  '/live2d_emotion_manager': async () => (await import('./pages/emotions')).renderEmotions,
  '/vrm_emotion_manager': async () => (await import('./pages/emotions')).renderEmotions,
  '/memory_browser': async () => (await import('./pages/memory')).renderMemory,
  '/agent': async () => (await import('./pages/agent')).renderAgent,
  '/steam_workshop_manager': async () => (await import('./pages/workshop')).renderWorkshop,
  '/voice_clone': async () => (await import('./pages/voiceclone')).renderVoiceClone,
};

async function boot(): Promise<void> {
  const api = new Api();
  let serverLang: string | null = null;
  try {
    const r = await api.get<{ language?: string }>('/api/config/user_language');
    serverLang = r.language ?? null;
  } catch {
    /* fall back to the browser */
  }
  const i18n = new I18n(locales, pickLanguage(serverLang, navigator.languages ?? [navigator.language]));
  document.documentElement.lang = i18n.lang;
  const root = document.getElementById('app') ?? document.body;
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const ctx: PageContext = { api, i18n, root, params: new URLSearchParams(location.search), path };
  const page = PAGES[path];
  try {
    if (page) {
      await (await page())(ctx);
    } else {
      const { renderHome } = await import('./pages/home');
      const name = path === '/' ? '' : decodeURIComponent(path.slice(1));
      await renderHome(ctx, name);
    }
    document.body.dataset.ready = '1';
  } catch (err) {
    root.textContent = `${i18n.t('common.loadFailed')}: ${errText(err)}`;
    document.body.dataset.ready = 'error';
  }
}

void boot();
