// Package avatar/emotion: turns an emotion (happy, sad, angry, neutral, surprised, relaxed) into
// Live2D expression/motion files or VRM expression names, from the emotion-mapping APIs
// (reference §4.4, §4.5, §6.10).

export const EMOTIONS = ['happy', 'sad', 'angry', 'neutral', 'surprised', 'relaxed'] as const;
export type Emotion = (typeof EMOTIONS)[number];

/** PERSISTENT is the Live2D expression group that is always applied ("常驻"). */
export const PERSISTENT = '常驻';

/** Lip-sync and blink expressions are never driven by emotions. */
const RESERVED_VRM = new Set(['aa', 'ih', 'ou', 'ee', 'oh', 'blink', 'blinkleft', 'blinkright', 'blink_l', 'blink_r']);

export const DEFAULT_VRM_MOODS: Readonly<Record<string, readonly string[]>> = {
  neutral: ['neutral'],
  happy: ['happy', 'joy', 'fun', 'smile', 'joy_01'],
  relaxed: ['relaxed', 'joy', 'fun', 'content'],
  sad: ['sad', 'sorrow', 'grief'],
  angry: ['angry', 'anger'],
  surprised: ['surprised', 'surprise', 'shock', 'e', 'o'],
};

export interface Live2DEmotionConfig {
  motions: Record<string, string[]>;
  expressions: Record<string, string[]>;
}

function stringList(v: unknown): string[] {
  if (typeof v === 'string') return v ? [v] : [];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x.length > 0);
  return [];
}

function normalizeGroups(v: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!v || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, list] of Object.entries(v as Record<string, unknown>)) {
    const l = stringList(list);
    if (l.length) out[k] = l;
  }
  return out;
}

/** normalizeLive2DConfig accepts the API's `config` (or a model3.json EmotionMapping) and cleans it. */
export function normalizeLive2DConfig(raw: unknown): Live2DEmotionConfig {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  return { motions: normalizeGroups(r.motions), expressions: normalizeGroups(r.expressions) };
}

/** normalizeVrmMapping turns `{emotion: string | string[]}` into arrays (what the POST body stores). */
export function normalizeVrmMapping(raw: unknown): Record<string, string[]> {
  return normalizeGroups(raw);
}

export type Rng = () => number;

function pick<T>(list: readonly T[], rng: Rng): T | undefined {
  if (!list.length) return undefined;
  return list[Math.min(list.length - 1, Math.floor(rng() * list.length))];
}

export interface Live2DChoice {
  expression?: string;
  motion?: string;
  persistent: string[];
}

/** chooseLive2D picks one expression and one motion file for an emotion (unknown → neutral). */
export function chooseLive2D(cfg: Live2DEmotionConfig, emotion: string, rng: Rng = Math.random): Live2DChoice {
  const key = (m: Record<string, string[]>) => (m[emotion]?.length ? emotion : 'neutral');
  const choice: Live2DChoice = { persistent: cfg.expressions[PERSISTENT] ?? [] };
  const e = pick(cfg.expressions[key(cfg.expressions)] ?? [], rng);
  const m = pick(cfg.motions[key(cfg.motions)] ?? [], rng);
  if (e !== undefined) choice.expression = e;
  if (m !== undefined) choice.motion = m;
  return choice;
}

/**
 * resolveVrmExpressions returns the model's expression names for an emotion: the user's mapping
 * first, else the default mood list, matched case-insensitively against what the model has, never
 * a lip-sync or blink expression.
 */
export function resolveVrmExpressions(
  emotion: string,
  available: readonly string[],
  mapping: Record<string, string[]> = {},
): string[] {
  const byLower = new Map<string, string>();
  for (const name of available) {
    if (!RESERVED_VRM.has(name.toLowerCase())) byLower.set(name.toLowerCase(), name);
  }
  const candidates = mapping[emotion]?.length ? mapping[emotion] : (DEFAULT_VRM_MOODS[emotion] ?? []);
  const out: string[] = [];
  for (const c of candidates ?? []) {
    const hit = byLower.get(c.toLowerCase());
    if (hit && !out.includes(hit)) out.push(hit);
  }
  return out;
}

/** isEmotion reports whether s is a known emotion. */
export function isEmotion(s: unknown): s is Emotion {
  return typeof s === 'string' && (EMOTIONS as readonly string[]).includes(s);
}

/** modelNameFromPath gives the model name the mapping APIs use: the Live2D folder or the VRM file stem. */
export function modelNameFromPath(path: string): string {
  const clean = path.split('?')[0] ?? '';
  const parts = clean.split('/').filter(Boolean);
  const file = parts[parts.length - 1] ?? '';
  if (/\.vrm$/i.test(file)) return file.replace(/\.vrm$/i, '');
  return parts.length >= 2 ? (parts[parts.length - 2] ?? file) : file.replace(/\.model3?\.json$/i, '');
}
