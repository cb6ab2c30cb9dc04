// Package pages/home: the main window — avatar, chat, voice. `?mode=pet` shows only the avatar on
// a transparent background with a drag handle (the desktop pet window).

import { AudioPlayer } from '../audio/player';
import { LipSync } from '../audio/lipsync';
import { MicCapture } from '../audio/mic';
import { loadAvatar, specFromPageConfig, type AvatarSpec } from '../avatar/load';
import { AvatarStage } from '../avatar/stage';
import { isEmotion } from '../avatar/emotion';
import { ChatController } from '../chat/controller';
import { captureScreen, fileToJpeg } from '../chat/images';
import { TaskHud } from '../chat/hud';
import { micControls } from '../chat/miccontrols';
import { ChatPanel } from '../chat/view';
import type { PageContext } from '../context';
import { enc } from '../services/api';
import { NekoSocket } from '../services/ws';
import { errText, h, nav, toast } from '../ui/dom';

export async function renderHome(ctx: PageContext, nameFromPath: string): Promise<void> {
  const { api, i18n, root, params } = ctx;
  const pet = params.get('mode') === 'pet';
  document.body.classList.toggle('pet', pet);

  let cfg: unknown = {};
  try {
    cfg = await api.get(`/api/config/page_config${nameFromPath ? `?lanlan_name=${enc(nameFromPath)}` : ''}`);
  } catch (err) {
    toast(`${i18n.t('home.configFailed')}: ${errText(err)}`);
  }
  const c = cfg as { lanlan_name?: string };
  const name = nameFromPath || c.lanlan_name || '';
  const spec: AvatarSpec = specFromPageConfig(cfg);
  if (spec.modelType === 'vrm') {
    // the character's VRMA idle animation, if it has one (flattened legacy fields, reference §4.3)
    try {
      const chars = await api.get<{ 猫娘?: Record<string, Record<string, unknown>> }>('/api/characters/');
      const c = chars.猫娘?.[name];
      const idle = c?.idleAnimation ?? c?.vrm_animation;
      if (typeof idle === 'string' && idle) spec.idleAnimation = idle;
      if (c?.lighting && typeof c.lighting === 'object') spec.lighting = c.lighting as Record<string, number>;
    } catch {
      /* procedural idle */
    }
  }

  const stageEl = h('div', { class: 'stage', 'data-testid': 'stage' });
  if (pet) stageEl.append(h('div', { class: 'drag-handle', title: i18n.t('home.drag') }));
  const panel = new ChatPanel();
  const hud = new TaskHud(i18n);
  stageEl.append(hud.el);
  const layout = h('div', { class: pet ? 'home pet' : 'home' }, stageEl);
  if (!pet) layout.append(panel.el);
  root.replaceChildren(...(pet ? [] : [nav(i18n)]), layout);
  if (!pet) layout.style.height = `calc(100vh - ${root.querySelector('nav')?.clientHeight ?? 0}px)`;

  const player = new AudioPlayer();
  const lip = new LipSync(player.analyser);
  const localPlayback = params.get('local_playback') === '1';
  const stage = new AvatarStage(stageEl, { api, speaking: () => player.speaking, mouth: () => lip.sample() });
  const resume = () => void player.resume();
  window.addEventListener('pointerdown', resume);
  window.addEventListener('keydown', resume);

  const showAvatar = async (s: AvatarSpec): Promise<void> => {
    try {
      await stage.show(await loadAvatar(api, stageEl, s));
      stageEl.dataset.avatar = s.modelType;
    } catch (err) {
      stageEl.dataset.avatar = 'error';
      toast(`${i18n.t('home.modelFailed')}: ${errText(err)}`);
    }
  };
  void showAvatar(spec);

  const socket = new NekoSocket({ name, token: api.token });
  const chat = new ChatController({
    socket, view: panel, i18n, player, localPlayback,
    onTurnEnd: (text) => void analyseEmotion(text),
    onSwitch: (n) => {
      history.replaceState(null, '', `/${enc(n)}${location.search}`);
      socket.switchTo(n);
      void api.get(`/api/config/page_config?lanlan_name=${enc(n)}`).then((pc) => showAvatar(specFromPageConfig(pc)));
    },
    onReload: () => setTimeout(() => location.reload(), 1500),
    onLipSync: (level) => lip.setEnvelope(level),
    onAgent: (m) => hud.update(m),
    // proactive chat asks for the screen: the server takes it (loopback-only /api/screenshot, reference §4.8)
    onScreenshotRequest: async () => {
      try {
        const r = await api.get<{ data?: string }>('/api/screenshot');
        return typeof r.data === 'string' && r.data.startsWith('data:image/') ? r.data : null;
      } catch {
        return null;
      }
    },
  });

  async function analyseEmotion(text: string): Promise<void> {
    try {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), 5000);
      const r = await api.request<{ emotion?: unknown }>('POST', '/api/emotion/analysis', { text, lanlan_name: socket.characterName }, ac.signal);
      clearTimeout(t);
      if (isEmotion(r.emotion)) stage.current?.setEmotion(r.emotion);
    } catch {
      /* emotion is cosmetic */
    }
  }

  // Voice.
  let focusMode = localStorage.getItem('neko.focusMode') === '1';
  const mic = new MicCapture({
    onFrame: (frame) => {
      if (focusMode && player.speaking) return; // half duplex while she speaks
      socket.sendBinary(frame);
    },
  });
  const micUi = micControls(i18n, mic, api);
  const micBtn = h('button', { 'data-testid': 'mic' }, i18n.t('chat.micOn'));
  const muteBtn = h('button', { 'data-testid': 'mute', disabled: true }, i18n.t('chat.mute'));
  const focusBtn = h('button', { class: focusMode ? 'on' : '', 'data-testid': 'focus' }, i18n.t('chat.focus'));
  micBtn.addEventListener('click', async () => {
    try {
      if (mic.running) {
        await mic.stop();
        chat.endSession();
      } else {
        await chat.startSession('audio');
        if (!mic.deviceId) {
          // no choice saved in this browser: the server's (the original keeps it there)
          try {
            const r = await api.get<{ microphone_id?: string }>('/api/characters/get_microphone');
            mic.deviceId = r.microphone_id ?? '';
          } catch {
            /* default microphone */
          }
        }
        await mic.start();
        void micUi.refresh(); // device labels are readable now
      }
    } catch (err) {
      panel.setStatus(`${i18n.t('chat.micFailed')}: ${errText(err)}`, true);
    }
    micBtn.textContent = i18n.t(mic.running ? 'chat.micOff' : 'chat.micOn');
    micBtn.classList.toggle('on', mic.running);
    muteBtn.disabled = !mic.running;
  });
  muteBtn.addEventListener('click', () => {
    mic.muted = !mic.muted;
    muteBtn.classList.toggle('on', mic.muted);
    muteBtn.textContent = i18n.t(mic.muted ? 'chat.unmute' : 'chat.mute');
  });
  focusBtn.addEventListener('click', () => {
    focusMode = !focusMode;
    localStorage.setItem('neko.focusMode', focusMode ? '1' : '0');
    focusBtn.classList.toggle('on', focusMode);
  });
  const endBtn = h('button', { 'data-testid': 'end' }, i18n.t('chat.end'));
  endBtn.addEventListener('click', () => chat.endSession());

  // Text and images.
  let images: string[] = [];
  const thumbs = h('div', { class: 'thumbs' });
  const input = h('textarea', { 'data-testid': 'chat-input', placeholder: i18n.t('chat.placeholder') });
  const fileIn = h('input', { type: 'file', accept: 'image/*', multiple: true, hidden: true });
  const addImage = (src: string) => {
    images.push(src);
    thumbs.append(h('img', { src, alt: '' }));
  };
  fileIn.addEventListener('change', async () => {
    for (const f of Array.from(fileIn.files ?? [])) {
      try {
        addImage(await fileToJpeg(f));
      } catch (err) {
        panel.setStatus(errText(err), true);
      }
    }
    fileIn.value = '';
  });
  const send = async () => {
    const text = input.value;
    const imgs = images;
    if (!text.trim() && imgs.length === 0) return;
    input.value = '';
    images = [];
    thumbs.replaceChildren();
    try {
      await chat.sendText(text, imgs);
    } catch (err) {
      panel.setStatus(errText(err), true);
    }
  };
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      void send();
    }
  });
  const sendBtn = h('button', { class: 'primary', 'data-testid': 'send', onclick: () => void send() }, i18n.t('chat.send'));
  const imgBtn = h('button', { onclick: () => fileIn.click() }, i18n.t('chat.image'));
  const shotBtn = h('button', {
    onclick: async () => {
      try {
        addImage(await captureScreen());
      } catch (err) {
        panel.setStatus(`${i18n.t('chat.screenshotFailed')}: ${errText(err)}`, true);
      }
    },
  }, i18n.t('chat.screenshot'));
  panel.el.append(thumbs, h('div', { class: 'composer' }, input, sendBtn), h('div', { class: 'toolbar' }, micBtn, muteBtn, focusBtn, imgBtn, shotBtn, endBtn, fileIn), micUi.el);

  // Other pages tell this window about edits (reference §12.1).
  const channel = new BroadcastChannel('nekoBroadcastChannel');
  channel.onmessage = (ev: MessageEvent<{ type?: string }>) => {
    if (ev.data?.type === 'memory_edited') chat.endSession(); // the next session reloads memory
    if (ev.data?.type === 'reload_model') {
      void api.get(`/api/config/page_config?lanlan_name=${enc(socket.characterName)}`).then((pc) => showAvatar(specFromPageConfig(pc)));
    }
  };

  socket.start();
  (globalThis as unknown as { __neko: unknown }).__neko = { player, stage, socket, chat, mic };
}
