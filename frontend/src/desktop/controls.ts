// Package desktop/controls: mirrors the desktop tray's switches (mute microphone, mute voice,
// voice only) in the companion page. The main server applies them (muted mic audio is dropped,
// a muted voice sends no audio); the page shows them and stops what it was already playing. The
// state comes from GET /api/desktop/controls on load and {"type":"desktop_controls"} messages on
// the page's WebSocket after each change.

import { Api } from '../services/api';
import { markDragHandles } from './drag';
import type { ServerMessage } from '../services/ws';

export interface DesktopState {
  mic_muted: boolean;
  voice_muted: boolean;
  voice_only: boolean;
}

/** parseState reads a state from the route's answer or a socket message; null when it is none. */
export function parseState(v: unknown): DesktopState | null {
  if (!v || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if (typeof o.mic_muted !== 'boolean' || typeof o.voice_muted !== 'boolean' || typeof o.voice_only !== 'boolean') return null;
  return { mic_muted: o.mic_muted, voice_muted: o.voice_muted, voice_only: o.voice_only };
}

/** The parts of the companion page (window.__neko) the switches act on. */
export interface NekoPage {
  socket: { onMessage(fn: (m: ServerMessage) => void): () => void };
  player: { stopAll(): void };
  mic: { muted: boolean };
}

/** applyState shows the switches in the page and makes the page obey them. */
export function applyState(doc: Document, page: NekoPage, st: DesktopState, prev: DesktopState | null): void {
  page.mic.muted = st.mic_muted;
  const muteBtn = doc.querySelector<HTMLButtonElement>('[data-testid=mute]');
  muteBtn?.classList.toggle('on', st.mic_muted);
  if (st.voice_muted && !prev?.voice_muted) page.player.stopAll();
  const stage = doc.querySelector<HTMLElement>('[data-testid=stage]');
  if (!stage) return;
  let badge = stage.querySelector<HTMLElement>('[data-testid=desktop-controls]');
  if (!badge) {
    badge = doc.createElement('div');
    badge.dataset.testid = 'desktop-controls';
    badge.setAttribute('role', 'status');
    badge.style.cssText = 'position:absolute;top:8px;left:8px;display:flex;gap:6px;pointer-events:none;z-index:5';
    stage.append(badge);
  }
  badge.dataset.micMuted = String(st.mic_muted);
  badge.dataset.voiceMuted = String(st.voice_muted);
  badge.dataset.voiceOnly = String(st.voice_only);
  const t = labels(doc.documentElement.lang);
  const on: string[] = [];
  if (st.mic_muted) on.push(t.mic);
  if (st.voice_muted) on.push(t.voice);
  badge.replaceChildren(
    ...on.map((label) => {
      const s = doc.createElement('span');
      s.textContent = label;
      s.style.cssText = 'padding:2px 8px;border-radius:10px;background:rgba(40,30,60,.75);color:#fff;font-size:12px';
      return s;
    }),
  );
}

const LABELS: Record<string, { mic: string; voice: string }> = {
  en: { mic: 'Mic muted', voice: 'Voice muted' },
  ja: { mic: 'マイクミュート中', voice: '音声ミュート中' },
  'zh-CN': { mic: '麦克风已静音', voice: '语音已静音' },
};

/** labels are the badge texts in the page's language (English when it has none). */
export function labels(lang: string): { mic: string; voice: string } {
  return LABELS[lang] ?? LABELS[lang.split('-')[0] ?? ''] ?? LABELS.en!;
}

/** installDesktopControls waits for the companion page, then keeps it in step with the tray. */
export function installDesktopControls(win: Window = window, api: Api = new Api()): void {
  let prev: DesktopState | null = null;
  let tries = 0;
  const attach = (page: NekoPage): void => {
    markDragHandles(win.document);
    const apply = (st: DesktopState | null): void => {
      if (!st) return;
      applyState(win.document, page, st, prev);
      prev = st;
    };
    page.socket.onMessage((m) => {
      if (m.type === 'desktop_controls') apply(parseState(m));
    });
    api.get<unknown>('/api/desktop/controls').then((v) => apply(parseState(v))).catch(() => {
      /* an older server: no switches */
    });
  };
  const wait = (): void => {
    const page = (win as unknown as { __neko?: NekoPage }).__neko;
    if (page?.socket && page.player && page.mic) {
      attach(page);
      return;
    }
    // the companion page sets __neko once its parts exist; settings pages never do
    if (++tries < 600) win.setTimeout(wait, 100);
  };
  wait();
}
