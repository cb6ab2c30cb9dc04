// Package chat/controller: the conversation protocol of the page (reference §5.2–§5.7) — starting
// sessions, sending text and images, streaming replies into bubbles, barge-in, status codes.

import { statusText, type I18n } from '../i18n';
import type { AudioFrame, NekoSocket, ServerMessage } from '../services/ws';

export type SessionMode = 'idle' | 'text' | 'audio';

export interface ChatView {
  addUser(text: string, images?: string[]): void;
  appendAssistant(text: string, isNew: boolean): void;
  discardTurn(): void;
  setStatus(text: string, error?: boolean): void;
  notify(text: string): void;
}

export interface PlayerLike {
  push(frame: AudioFrame): unknown;
  interrupt(speechId: string | null | undefined): void;
  stopAll(): void;
}

export interface ChatDeps {
  socket: NekoSocket;
  view: ChatView;
  i18n: I18n;
  player?: PlayerLike;
  onTurnEnd?: (text: string) => void;
  onSwitch?: (name: string) => void;
  onReload?: () => void;
  onAgent?: (msg: ServerMessage) => void;
  onLipSync?: (level: number) => void;
  onScreenshotRequest?: () => Promise<string | null>;
  /** lets the desktop play audio itself: no playback in the page */
  localPlayback?: boolean;
}

const ERROR_TYPES = new Set(['session_failed', 'session_ended_by_server']);

export class ChatController {
  mode: SessionMode = 'idle';
  private pending: { mode: SessionMode; resolve: () => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  private turnText = '';
  private readonly deps: ChatDeps;
  private readonly off: Array<() => void> = [];

  constructor(deps: ChatDeps) {
    this.deps = deps;
    this.off.push(deps.socket.onMessage((m) => this.handle(m)));
    this.off.push(deps.socket.onAudio((f) => {
      if (!deps.localPlayback) deps.player?.push(f);
    }));
    this.off.push(deps.socket.onState((s) => {
      if (s === 'closed') {
        this.mode = 'idle';
        deps.view.setStatus(deps.i18n.t('chat.reconnecting'), true);
      } else if (s === 'open') deps.view.setStatus(deps.i18n.t('chat.connected'));
    }));
  }

  dispose(): void {
    for (const f of this.off) f();
  }

  /** startSession asks for a session of the given mode and waits for session_started. */
  startSession(mode: 'text' | 'audio', timeoutMs = 15000): Promise<void> {
    if (this.mode === mode) return Promise.resolve();
    if (this.pending) this.pending.reject(new Error('superseded'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new Error(this.deps.i18n.t('chat.startTimeout')));
      }, timeoutMs);
      this.pending = { mode, resolve, reject, timer };
      this.deps.view.setStatus(this.deps.i18n.t('chat.preparing'));
      this.deps.socket.send({ action: 'start_session', input_type: mode, new_session: false, language: this.deps.i18n.lang });
    });
  }

  /** sendText sends screenshots/images first, then the text (reference §5.6). */
  async sendText(text: string, images: string[] = []): Promise<void> {
    const t = text.trim();
    if (!t && images.length === 0) return;
    this.deps.view.addUser(t, images);
    // Barge-in: whatever she is saying is now stale.
    this.deps.player?.interrupt('');
    await this.startSession('text');
    for (const img of images) this.deps.socket.send({ action: 'stream_data', input_type: 'screen', data: img });
    if (t) this.deps.socket.send({ action: 'stream_data', input_type: 'text', data: t });
  }

  endSession(): void {
    this.deps.socket.send({ action: 'end_session' });
    this.mode = 'idle';
    this.deps.player?.stopAll();
  }

  handle(m: ServerMessage): void {
    const { view, i18n } = this.deps;
    switch (m.type) {
      case 'session_preparing':
        view.setStatus(i18n.t('chat.preparing'));
        break;
      case 'session_started': {
        const mode = m.input_mode === 'audio' ? 'audio' : 'text';
        this.mode = mode;
        view.setStatus(i18n.t(mode === 'audio' ? 'chat.voiceReady' : 'chat.ready'));
        if (this.pending) {
          clearTimeout(this.pending.timer);
          this.pending.resolve();
          this.pending = null;
        }
        break;
      }
      case 'session_failed':
      case 'session_ended_by_server':
        this.mode = 'idle';
        view.setStatus(i18n.t(`chat.${m.type}`), ERROR_TYPES.has(m.type));
        if (this.pending) {
          clearTimeout(this.pending.timer);
          this.pending.reject(new Error(i18n.t(`chat.${m.type}`)));
          this.pending = null;
        }
        break;
      case 'gemini_response': {
        const text = typeof m.text === 'string' ? m.text : '';
        const isNew = m.isNewMessage === true;
        if (isNew) this.turnText = '';
        this.turnText += text;
        view.appendAssistant(text, isNew);
        break;
      }
      case 'user_transcript':
        if (typeof m.text === 'string' && m.text) view.addUser(m.text);
        break;
      case 'user_activity':
        this.deps.player?.interrupt(typeof m.interrupted_speech_id === 'string' ? m.interrupted_speech_id : '');
        break;
      case 'system':
        if (m.data === 'turn end') {
          const text = this.turnText;
          this.turnText = '';
          if (text) this.deps.onTurnEnd?.(text);
        }
        break;
      case 'response_discarded':
        this.turnText = '';
        view.discardTurn();
        view.setStatus(typeof m.message === 'string' && m.message ? m.message : i18n.t('chat.discarded'), true);
        break;
      case 'status':
        view.setStatus(statusText(i18n, m.message), true);
        break;
      case 'auto_close_mic':
        view.setStatus(i18n.t('chat.autoCloseMic'));
        this.mode = 'idle';
        break;
      case 'repetition_warning':
        view.notify(i18n.t('chat.repetition'));
        break;
      case 'catgirl_switched':
        if (typeof m.new_catgirl === 'string' && m.new_catgirl) this.deps.onSwitch?.(m.new_catgirl);
        break;
      case 'reload_page':
        view.notify(statusText(i18n, m.message));
        this.deps.onReload?.();
        break;
      case 'request_screenshot':
        void this.answerScreenshot();
        break;
      case 'agent_status_update':
      case 'agent_task_update':
        this.deps.onAgent?.(m);
        break;
      case 'agent_notification':
        view.notify(String(m.text ?? ''));
        this.deps.onAgent?.(m);
        break;
      case 'lip_sync':
        if (typeof m.level === 'number') this.deps.onLipSync?.(m.level);
        break;
      case 'lipsync': // the server's envelope of what the desktop is playing (mouth 0..1)
        if (typeof m.mouth === 'number') this.deps.onLipSync?.(m.mouth);
        break;
      default:
        break;
    }
  }

  private async answerScreenshot(): Promise<void> {
    const data = (await this.deps.onScreenshotRequest?.()) ?? null;
    if (data) this.deps.socket.send({ action: 'screenshot_response', data });
  }
}
