import { describe, expect, it } from 'vitest';
import { chooseLive2D, normalizeLive2DConfig, PERSISTENT } from '../src/avatar/emotion';
import { applyExpressionParams, parseExpression, resolveFile } from '../src/avatar/persistent';

/** fake Cubism 4 core: parameter values with add/multiply/set by id, reset each frame like loadParameters */
function cubism4() {
  const v = new Map<string, number>();
  return {
    v,
    setParameterValueById(id: string, x: number) { v.set(id, x); },
    addParameterValueById(id: string, x: number) { v.set(id, (v.get(id) ?? 0) + x); },
    multiplyParameterValueById(id: string, x: number) { v.set(id, (v.get(id) ?? 1) * x); },
  };
}

function cubism2() {
  const v = new Map<string, number>();
  return {
    v,
    setParamFloat(id: string, x: number) { v.set(id, x); },
    addToParamFloat(id: string, x: number) { v.set(id, (v.get(id) ?? 0) + x); },
    multParamFloat(id: string, x: number) { v.set(id, (v.get(id) ?? 1) * x); },
  };
}

describe('persistent (常驻) expressions', () => {
  it('parses Cubism 4 exp3.json with blend modes and defaults', () => {
    expect(parseExpression({ Type: 'Live2D Expression', Parameters: [
      { Id: 'ParamCheek', Value: 1, Blend: 'Add' },
      { Id: 'ParamEyeLOpen', Value: 0.5, Blend: 'Multiply' },
      { Id: 'ParamHairFront', Value: 0.2, Blend: 'Overwrite' },
      { Id: 'ParamNoBlend', Value: 0.3 },
      { Value: 1 }, null,
    ] })).toEqual([
      { id: 'ParamCheek', value: 1, blend: 'add' },
      { id: 'ParamEyeLOpen', value: 0.5, blend: 'multiply' },
      { id: 'ParamHairFront', value: 0.2, blend: 'overwrite' },
      { id: 'ParamNoBlend', value: 0.3, blend: 'add' },
    ]);
  });

  it('parses Cubism 2 exp.json relative to def, as the Cubism 2 SDK does', () => {
    expect(parseExpression({ type: 'Live2D Expression', params: [
      { id: 'PARAM_TERE', val: 1, def: 0.2 },
      { id: 'PARAM_EYE_L_OPEN', val: 0.5, calc: 'mult', def: 0.5 },
      { id: 'PARAM_X', val: 3, calc: 'set' },
      { id: 'PARAM_Z', val: 2, calc: 'mult', def: 0 },
    ] })).toEqual([
      { id: 'PARAM_TERE', value: 0.8, blend: 'add' },
      { id: 'PARAM_EYE_L_OPEN', value: 1, blend: 'multiply' },
      { id: 'PARAM_X', value: 3, blend: 'overwrite' },
      { id: 'PARAM_Z', value: 2, blend: 'multiply' },
    ]);
    expect(parseExpression('nope')).toEqual([]);
    expect(parseExpression({ type: 'Live2D Expression', fade_in: 500 })).toEqual([]);
  });

  it('applies to Cubism 4 and Cubism 2 cores and never touches the mouth', () => {
    const params = parseExpression({ Parameters: [
      { Id: 'ParamCheek', Value: 1 }, { Id: 'ParamMouthOpenY', Value: 1, Blend: 'Overwrite' }, { Id: 'ParamEyeLOpen', Value: 0.5, Blend: 'Multiply' },
    ] });
    const c4 = cubism4();
    c4.v.set('ParamEyeLOpen', 0.8);
    expect(applyExpressionParams(c4, params, new Set(['ParamMouthOpenY']))).toBe(2);
    expect(c4.v.get('ParamCheek')).toBe(1);
    expect(c4.v.get('ParamEyeLOpen')).toBeCloseTo(0.4);
    expect(c4.v.has('ParamMouthOpenY')).toBe(false);
    const c2 = cubism2();
    expect(applyExpressionParams(c2, parseExpression({ params: [{ id: 'PARAM_TERE', val: 1, calc: 'set' }] }))).toBe(1);
    expect(c2.v.get('PARAM_TERE')).toBe(1);
    expect(applyExpressionParams({}, params)).toBe(0); // an unknown core is left alone
  });

  it('stays on through emotion changes: every frame adds it on top of the emotion expression', () => {
    const cfg = normalizeLive2DConfig({ expressions: { [PERSISTENT]: ['exp/glasses.exp3.json'], happy: ['exp/smile.exp3.json'], sad: ['exp/cry.exp3.json'] } });
    const persistent = parseExpression({ Parameters: [{ Id: 'ParamGlasses', Value: 1, Blend: 'Overwrite' }] });
    const emotionParams: Record<string, ReturnType<typeof parseExpression>> = {
      'exp/smile.exp3.json': parseExpression({ Parameters: [{ Id: 'ParamMouthForm', Value: 1 }, { Id: 'ParamGlasses', Value: 0, Blend: 'Overwrite' }] }),
      'exp/cry.exp3.json': parseExpression({ Parameters: [{ Id: 'ParamTear', Value: 1 }] }),
    };
    for (const emotion of ['happy', 'sad', 'neutral']) {
      const choice = chooseLive2D(cfg, emotion, () => 0);
      expect(choice.persistent).toEqual(['exp/glasses.exp3.json']);
      const core = cubism4(); // a fresh frame: the model restored its saved parameters
      if (choice.expression) applyExpressionParams(core, emotionParams[choice.expression] ?? []);
      applyExpressionParams(core, persistent);
      expect(core.v.get('ParamGlasses')).toBe(1);
    }
  });

  it('resolves expression files against the model URL', () => {
    expect(resolveFile('/user_live2d/mine/mine.model3.json', 'exp/a.exp3.json')).toBe('/user_live2d/mine/exp/a.exp3.json');
    expect(resolveFile('/static/live2d/shizuku/shizuku.model.json', 'exp\\f01.exp.json')).toBe('/static/live2d/shizuku/exp/f01.exp.json');
    expect(resolveFile('http://127.0.0.1:1/workshop/9/m.model3.json', '../x/e.exp3.json')).toBe('http://127.0.0.1:1/workshop/x/e.exp3.json');
  });
});
