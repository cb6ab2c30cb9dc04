// Package avatar/stage: hosts an avatar in a container — render loop with an idle frame-rate cap
// (N.E.K.O. #3059), mouse follow, drag, wheel zoom, and position/scale saved through
// /api/config/preferences.

import type { Api } from '../services/api';
import { capFor, nextFrame } from './framecap';
import type { Avatar, Transform } from './types';

export interface StageOptions {
  api: Api;
  /** activeFps while speaking or interacting; idleFps otherwise */
  activeFps?: number;
  idleFps?: number;
  /** speaking tells the stage that audio is playing (full frame rate) */
  speaking?: () => boolean;
  mouth?: () => number;
  /** enable drag and zoom (off for preview canvases) */
  interactive?: boolean;
}

export interface Preference extends Transform {
  model_path: string;
  [k: string]: unknown;
}

/** findPreference returns the saved entry of a model from GET /api/config/preferences. */
export function findPreference(list: unknown, modelPath: string): Preference | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const e of list) {
    if (e && typeof e === 'object' && (e as Preference).model_path === modelPath) {
      const p = e as Preference;
      if (p.position && p.scale && Number.isFinite(p.position.x) && Number.isFinite(p.scale.x)) return p;
    }
  }
  return undefined;
}

export class AvatarStage {
  private avatar: Avatar | null = null;
  private raf = 0;
  private last = 0;
  /** frame clock of the cap (see nextFrame) */
  private clock = -Infinity;
  private lastInteraction = 0;
  private dragging: { x: number; y: number } | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly opts: Required<Omit<StageOptions, 'api'>> & { api: Api };
  private readonly container: HTMLElement;
  private readonly abort = new AbortController();
  private resizeObs: ResizeObserver | null = null;
  framesRendered = 0;

  constructor(container: HTMLElement, opts: StageOptions) {
    this.container = container;
    this.opts = {
      api: opts.api,
      activeFps: opts.activeFps ?? 60,
      idleFps: opts.idleFps ?? 15,
      speaking: opts.speaking ?? (() => false),
      mouth: opts.mouth ?? (() => 0),
      interactive: opts.interactive ?? true,
    };
    this.bindInput();
    this.resizeObs = new ResizeObserver(() => this.avatar?.resize(container.clientWidth, container.clientHeight));
    this.resizeObs.observe(container);
  }

  get current(): Avatar | null {
    return this.avatar;
  }

  /** show replaces the avatar and applies its saved position and scale. */
  async show(avatar: Avatar, applyPrefs = true): Promise<void> {
    this.avatar?.dispose();
    this.avatar = avatar;
    avatar.resize(this.container.clientWidth, this.container.clientHeight);
    if (applyPrefs) {
      try {
        const prefs = await this.opts.api.get<unknown>('/api/config/preferences');
        const p = findPreference(prefs, avatar.modelPath);
        if (p) avatar.setTransform(p);
      } catch {
        /* no preferences yet */
      }
    }
    this.lastInteraction = performance.now();
    if (!this.raf) this.raf = requestAnimationFrame((t) => this.loop(t));
  }

  /** fpsNow is the current frame-rate cap. */
  fpsNow(now: number = performance.now()): number {
    return capFor({ dragging: this.dragging !== null, sinceInteraction: now - this.lastInteraction, speaking: this.opts.speaking(),
      busy: !!this.avatar?.busy() }, this.opts.activeFps, this.opts.idleFps);
  }

  private loop(t: number): void {
    this.raf = requestAnimationFrame((tt) => this.loop(tt));
    const a = this.avatar;
    if (!a) return;
    const next = nextFrame(t, this.clock, this.fpsNow(t));
    if (next === null) return;
    this.clock = next;
    const dt = this.last ? Math.min(0.1, (t - this.last) / 1000) : 1 / 60;
    this.last = t;
    a.setMouth(this.opts.mouth());
    a.frame(dt);
    this.framesRendered++;
  }

  private canvasPoint(ev: MouseEvent): { x: number; y: number } {
    const r = this.container.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  }

  private bindInput(): void {
    const sig = { signal: this.abort.signal };
    window.addEventListener('pointermove', (ev) => {
      this.lastInteraction = performance.now();
      const p = this.canvasPoint(ev);
      this.avatar?.lookAt(p.x, p.y);
      if (this.dragging) {
        this.avatar?.moveBy(ev.clientX - this.dragging.x, ev.clientY - this.dragging.y);
        this.dragging = { x: ev.clientX, y: ev.clientY };
      }
    }, sig);
    if (!this.opts.interactive) return;
    this.container.addEventListener('pointerdown', (ev) => {
      if (ev.button !== 0) return;
      this.dragging = { x: ev.clientX, y: ev.clientY };
      this.container.setPointerCapture?.(ev.pointerId);
    }, sig);
    window.addEventListener('pointerup', () => {
      if (this.dragging) {
        this.dragging = null;
        this.scheduleSave();
      }
    }, sig);
    this.container.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      this.lastInteraction = performance.now();
      this.avatar?.zoomBy(ev.deltaY < 0 ? 1.08 : 1 / 1.08);
      this.scheduleSave();
    }, { ...sig, passive: false });
  }

  private scheduleSave(): void {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.save(), 600);
  }

  /** save writes the current position and scale (POST /api/config/preferences). */
  async save(): Promise<void> {
    const a = this.avatar;
    if (!a) return;
    const t = a.getTransform();
    await this.opts.api.post('/api/config/preferences', {
      model_path: a.modelPath,
      position: t.position,
      scale: t.scale,
      viewport: { width: this.container.clientWidth, height: this.container.clientHeight },
    });
  }

  dispose(): void {
    cancelAnimationFrame(this.raf);
    this.raf = 0;
    this.abort.abort();
    this.resizeObs?.disconnect();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.avatar?.dispose();
    this.avatar = null;
  }
}
