import { describe, expect, it } from 'vitest';
import {
  DEFAULT_VRM_MOODS, PERSISTENT, chooseLive2D, isEmotion, modelNameFromPath, normalizeLive2DConfig, normalizeVrmMapping, resolveVrmExpressions,
} from '../src/avatar/emotion';

describe('Live2D emotion mapping', () => {
  const cfg = normalizeLive2DConfig({
    motions: { happy: ['m/happy1.motion3.json', 'm/happy2.motion3.json'], neutral: ['m/idle.motion3.json'], bad: 'm/x.motion3.json', junk: [1, null] },
    expressions: { happy: ['e/smile.exp3.json'], [PERSISTENT]: ['e/blush.exp3.json'] },
    extra: 'ignored',
  });

  it('normalizes strings to arrays and drops junk', () => {
    expect(cfg.motions.bad).toEqual(['m/x.motion3.json']);
    expect(cfg.motions.junk).toBeUndefined();
    expect(normalizeLive2DConfig(null)).toEqual({ motions: {}, expressions: {} });
    expect(normalizeLive2DConfig({ motions: ['not', 'a map'] })).toEqual({ motions: {}, expressions: {} });
  });

  it('picks one expression and one motion of the emotion, with the persistent group', () => {
    expect(chooseLive2D(cfg, 'happy', () => 0.99)).toEqual({ expression: 'e/smile.exp3.json', motion: 'm/happy2.motion3.json', persistent: ['e/blush.exp3.json'] });
    expect(chooseLive2D(cfg, 'happy', () => 0).motion).toBe('m/happy1.motion3.json');
  });

  it('falls back to neutral for an emotion without files', () => {
    const c = chooseLive2D(cfg, 'angry', () => 0);
    expect(c.motion).toBe('m/idle.motion3.json');
    expect(c.expression).toBeUndefined();
  });
});

describe('VRM emotion mapping', () => {
  const available = ['aa', 'ih', 'blink', 'Happy', 'relaxed', 'Sorrow', 'surprised', 'neutral'];

  it('uses the default mood map matched case-insensitively', () => {
    expect(resolveVrmExpressions('happy', available)).toEqual(['Happy']);
    expect(resolveVrmExpressions('sad', available)).toEqual(['Sorrow']);
    expect(DEFAULT_VRM_MOODS.surprised).toContain('shock');
  });

  it("prefers the user's mapping and never returns lip-sync or blink expressions", () => {
    expect(resolveVrmExpressions('happy', available, { happy: ['relaxed', 'aa', 'blink', 'missing', 'relaxed'] })).toEqual(['relaxed']);
  });

  it('returns nothing for an unknown emotion', () => {
    expect(resolveVrmExpressions('bored', available)).toEqual([]);
  });

  it('normalizes the POST body shape', () => {
    expect(normalizeVrmMapping({ happy: 'joy', sad: ['sad', ''], x: 3 })).toEqual({ happy: ['joy'], sad: ['sad'] });
  });
});

describe('helpers', () => {
  it('knows the emotion set', () => {
    expect(isEmotion('relaxed')).toBe(true);
    expect(isEmotion('bored')).toBe(false);
    expect(isEmotion(3)).toBe(false);
  });

  it('derives model names the mapping APIs use', () => {
    expect(modelNameFromPath('/static/live2d/haru_greeter/haru_greeter_t03.model3.json')).toBe('haru_greeter');
    expect(modelNameFromPath('/user_live2d/mao_pro/mao_pro.model3.json?v=2')).toBe('mao_pro');
    expect(modelNameFromPath('/user_vrm/Alice.VRM')).toBe('Alice');
    expect(modelNameFromPath('x.model3.json')).toBe('x');
  });
});
