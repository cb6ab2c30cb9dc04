// Package avatar/load: builds the right avatar for a page_config (Live2D or VRM) with its emotion
// mapping, on a fresh canvas inside a container.

import type { Api } from '../services/api';
import { enc } from '../services/api';
import { modelNameFromPath } from './emotion';
import type { Avatar } from './types';

export const DEFAULT_LIVE2D = '/static/live2d/haru_greeter/haru_greeter_t03.model3.json';
export const DEFAULT_VRM = '/static/vrm/default.vrm';

export interface AvatarSpec {
  modelPath: string;
  modelType: 'live2d' | 'vrm';
  idleAnimation?: string;
  /** VRM lighting of the character (reference §11.1) */
  lighting?: Record<string, number>;
}

/** specFromPageConfig reads GET /api/config/page_config, falling back to the bundled defaults. */
export function specFromPageConfig(cfg: unknown): AvatarSpec {
  const c = (cfg && typeof cfg === 'object' ? cfg : {}) as Record<string, unknown>;
  const path = typeof c.model_path === 'string' ? c.model_path : '';
  const type = c.model_type === 'vrm' || /\.vrm$/i.test(path) ? 'vrm' : 'live2d';
  if (!path) return { modelPath: type === 'vrm' ? DEFAULT_VRM : DEFAULT_LIVE2D, modelType: type };
  return { modelPath: path, modelType: type };
}

/** newCanvas replaces the container's canvas (a WebGL canvas cannot change its context type). */
export function newCanvas(container: HTMLElement): HTMLCanvasElement {
  container.querySelectorAll('canvas').forEach((c) => c.remove());
  const canvas = document.createElement('canvas');
  canvas.setAttribute('data-testid', 'avatar-canvas');
  container.prepend(canvas);
  return canvas;
}

/** loadAvatar creates the avatar; emotion mappings that fail to load leave the defaults. */
export async function loadAvatar(api: Api, container: HTMLElement, spec: AvatarSpec): Promise<Avatar> {
  const canvas = newCanvas(container);
  const name = modelNameFromPath(spec.modelPath);
  if (spec.modelType === 'vrm') {
    const { VrmAvatar } = await import('./vrm');
    let mapping: Record<string, string[]> = {};
    try {
      const r = await api.get<{ config?: Record<string, string[]> }>(`/api/model/vrm/emotion_mapping/${enc(name)}`);
      mapping = r.config ?? {};
    } catch {
      /* defaults */
    }
    const opts: import('./vrm').VrmOptions = { canvas, modelPath: spec.modelPath, mapping };
    if (spec.idleAnimation) opts.idleAnimation = spec.idleAnimation;
    if (spec.lighting) opts.lighting = spec.lighting;
    return VrmAvatar.load(opts);
  }
  const { Live2DAvatar } = await import('./live2d');
  let emotionConfig: unknown = undefined;
  try {
    const r = await api.get<{ config?: unknown }>(`/api/live2d/emotion_mapping/${enc(name)}`);
    emotionConfig = r.config;
  } catch {
    /* defaults */
  }
  return Live2DAvatar.load({ canvas, modelPath: spec.modelPath, emotionConfig });
}
