// Package avatar/live2d: Live2D renderer with pixi.js + pixi-live2d-display, for Cubism 2 and
// Cubism 4/5 models. The proprietary runtimes are copied from npm into /static/libs at build time
// and loaded here on demand.

import type { Application } from 'pixi.js';
import type { Live2DModel } from 'pixi-live2d-display';
import { chooseLive2D, normalizeLive2DConfig, PERSISTENT, type Live2DEmotionConfig } from './emotion';
import { applyExpressionParams, parseExpression, resolveFile, type ExpressionParam } from './persistent';
import { countOpaque, readCanvasPixels, type Avatar, type Transform } from './types';

const MOUTH_PARAMS_4 = ['ParamMouthOpenY', 'ParamA'];
const MOUTH_PARAMS_2 = ['PARAM_MOUTH_OPEN_Y'];

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`cannot load ${src}`));
    document.head.appendChild(s);
  });
}

type Win = typeof globalThis & { Live2DCubismCore?: unknown; Live2D?: unknown; PIXI?: unknown };

/** loadRuntime loads the Cubism cores, pixi and the plugin once. */
async function loadRuntime(): Promise<{ PIXI: typeof import('pixi.js'); L2D: typeof import('pixi-live2d-display') }> {
  const w = globalThis as Win;
  if (!w.Live2DCubismCore) await loadScript('/static/libs/live2dcubismcore.min.js');
  if (!w.Live2D) await loadScript('/static/libs/live2d.min.js');
  const PIXI = await import('pixi.js');
  w.PIXI = PIXI;
  const L2D = await import('pixi-live2d-display');
  L2D.Live2DModel.registerTicker(PIXI.Ticker);
  return { PIXI, L2D };
}

interface FileRef {
  group?: string;
  index: number;
  name?: string;
}

function fileOf(e: unknown): string {
  if (!e || typeof e !== 'object') return '';
  const o = e as Record<string, unknown>;
  return String(o.File ?? o.file ?? '');
}

function sameFile(a: string, b: string): boolean {
  const tail = (s: string) => s.replace(/\\/g, '/').split('/').slice(-2).join('/').toLowerCase();
  return a === b || tail(a) === tail(b) || a.split('/').pop() === b.split('/').pop();
}

export interface Live2DOptions {
  canvas: HTMLCanvasElement;
  modelPath: string;
  emotionConfig?: unknown;
}

export class Live2DAvatar implements Avatar {
  readonly kind = 'live2d' as const;
  readonly modelPath: string;
  private readonly app: Application;
  private readonly model: Live2DModel;
  private emotions: Live2DEmotionConfig;
  private mouth = 0;
  /** parameters of the persistent (常驻) expressions, applied every frame */
  private persistent: ExpressionParam[] = [];
  private persistentSeq = 0;
  private baseScale = 1;
  private userScale = 1;
  private placed = false;

  private constructor(app: Application, model: Live2DModel, opts: Live2DOptions) {
    this.app = app;
    this.model = model;
    this.modelPath = opts.modelPath;
    this.emotions = normalizeLive2DConfig(opts.emotionConfig);
    model.internalModel.on('beforeModelUpdate', () => {
      applyExpressionParams(this.coreModel(), this.persistent, this.mouthParams);
      this.applyMouth();
    });
  }

  private readonly mouthParams = new Set([...MOUTH_PARAMS_4, ...MOUTH_PARAMS_2]);

  /** persistentCount is how many persistent expression parameters are applied each frame. */
  get persistentCount(): number {
    return this.persistent.length;
  }

  /**
   * loadPersistent fetches the expression files of the mapping's 常驻 group (matched against the
   * model's own expression list, so only the model's files are read) and keeps their parameters.
   */
  async loadPersistent(fetchJson: (url: string) => Promise<unknown> = async (u) => (await fetch(u)).json()): Promise<void> {
    const seq = ++this.persistentSeq;
    const list = (this.model.internalModel.settings as unknown as { expressions?: unknown[] }).expressions ?? [];
    const params: ExpressionParam[] = [];
    for (const want of this.emotions.expressions[PERSISTENT] ?? []) {
      const entry = list.find((e) => sameFile(fileOf(e), want));
      if (!entry) continue;
      try {
        params.push(...parseExpression(await fetchJson(resolveFile(this.modelPath, fileOf(entry)))));
      } catch {
        /* a broken file is skipped */
      }
    }
    if (seq === this.persistentSeq) this.persistent = params;
  }

  static async load(opts: Live2DOptions): Promise<Live2DAvatar> {
    const { PIXI, L2D } = await loadRuntime();
    const app = new PIXI.Application({
      view: opts.canvas,
      backgroundAlpha: 0,
      autoStart: false,
      antialias: true,
      resolution: Math.min(2, globalThis.devicePixelRatio || 1),
      autoDensity: true,
    });
    try {
      const model = await L2D.Live2DModel.from(opts.modelPath, { autoInteract: false, autoUpdate: false });
      model.anchor.set(0.5, 0.5);
      app.stage.addChild(model);
      const avatar = new Live2DAvatar(app, model, opts);
      await avatar.loadPersistent();
      return avatar;
    } catch (err) {
      app.destroy(false);
      throw err instanceof Error ? err : new Error(String(err));
    }
  }

  setEmotionConfig(raw: unknown): void {
    this.emotions = normalizeLive2DConfig(raw);
    void this.loadPersistent();
  }

  private coreModel(): Record<string, unknown> {
    return this.model.internalModel.coreModel as unknown as Record<string, unknown>;
  }

  private applyMouth(): void {
    const core = this.coreModel();
    const v = Math.max(0, Math.min(1, this.mouth));
    if (typeof core.setParameterValueById === 'function') {
      for (const id of MOUTH_PARAMS_4) (core.setParameterValueById as (id: string, v: number) => void).call(core, id, v);
    } else if (typeof core.setParamFloat === 'function') {
      for (const id of MOUTH_PARAMS_2) (core.setParamFloat as (id: string, v: number) => void).call(core, id, v);
    }
  }

  private findExpression(file: string): FileRef | undefined {
    const list = (this.model.internalModel.settings as unknown as { expressions?: unknown[] }).expressions ?? [];
    const i = list.findIndex((e) => sameFile(fileOf(e), file));
    return i >= 0 ? { index: i } : undefined;
  }

  private findMotion(file: string): FileRef | undefined {
    const groups = (this.model.internalModel.settings as unknown as { motions?: Record<string, unknown[]> }).motions ?? {};
    for (const [group, list] of Object.entries(groups)) {
      const i = list.findIndex((m) => sameFile(fileOf(m), file));
      if (i >= 0) return { group, index: i };
    }
    return undefined;
  }

  setEmotion(emotion: string): void {
    const c = chooseLive2D(this.emotions, emotion);
    if (c.expression) {
      const e = this.findExpression(c.expression);
      if (e) void this.model.expression(e.index);
    }
    if (c.motion) {
      const m = this.findMotion(c.motion);
      if (m?.group) void this.model.motion(m.group, m.index, 3);
    }
  }

  expressionNames(): string[] {
    const list = (this.model.internalModel.settings as unknown as { expressions?: unknown[] }).expressions ?? [];
    return list.map((e) => fileOf(e));
  }

  previewExpression(name: string): void {
    const e = this.findExpression(name);
    if (e) void this.model.expression(e.index);
    const m = this.findMotion(name);
    if (m?.group) void this.model.motion(m.group, m.index, 3);
  }

  setMouth(v: number): void {
    this.mouth = v;
  }

  lookAt(x: number, y: number): void {
    this.model.focus(x, y);
  }

  moveBy(dx: number, dy: number): void {
    this.model.x += dx;
    this.model.y += dy;
  }

  zoomBy(f: number): void {
    this.userScale = Math.max(0.1, Math.min(8, this.userScale * f));
    this.model.scale.set(this.baseScale * this.userScale);
  }

  getTransform(): Transform {
    return { position: { x: this.model.x, y: this.model.y }, scale: { x: this.model.scale.x, y: this.model.scale.y } };
  }

  setTransform(t: Transform): void {
    this.model.position.set(t.position.x, t.position.y);
    this.userScale = t.scale.x / this.baseScale;
    this.model.scale.set(t.scale.x, t.scale.y);
    this.placed = true;
  }

  resize(width: number, height: number): void {
    if (width < 1 || height < 1) return;
    this.app.renderer.resize(width, height);
    const im = this.model.internalModel;
    this.baseScale = Math.min(width / im.width, height / im.height) * 0.95;
    if (!this.placed) {
      this.model.scale.set(this.baseScale * this.userScale);
      this.model.position.set(width / 2, height / 2);
    }
  }

  busy(): boolean {
    return false;
  }

  frame(dt: number): void {
    this.model.update(dt * 1000);
    this.app.renderer.render(this.app.stage);
  }

  opaquePixels(): number {
    this.frame(0);
    const gl = (this.app.renderer as unknown as { gl: WebGLRenderingContext }).gl;
    return countOpaque(readCanvasPixels(gl));
  }

  dispose(): void {
    const gl = (this.app.renderer as unknown as { gl?: WebGLRenderingContext }).gl;
    this.app.destroy(false, { children: true });
    gl?.getExtension('WEBGL_lose_context')?.loseContext(); // free the GPU context now
  }
}
