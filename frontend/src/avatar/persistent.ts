// Package avatar/persistent: Live2D "常驻" (persistent) expressions. The expression files named in
// the emotion mapping's 常驻 group are parsed once and their parameters are applied on every frame,
// after the emotion expression and before the mouth, so they stay on through emotion changes and
// never touch lip sync (reference §6.10).

export type Blend = 'add' | 'multiply' | 'overwrite';

export interface ExpressionParam {
  id: string;
  value: number;
  blend: Blend;
}

function num(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/**
 * parseExpression reads a Cubism 4 .exp3.json (`Parameters: [{Id, Value, Blend}]`) or a Cubism 2
 * .exp.json (`params: [{id, val, calc, def}]`, where add and mult are relative to `def`, as the
 * Cubism 2 SDK computes them). Anything malformed is skipped.
 */
export function parseExpression(raw: unknown): ExpressionParam[] {
  if (!raw || typeof raw !== 'object') return [];
  const r = raw as Record<string, unknown>;
  const out: ExpressionParam[] = [];
  if (Array.isArray(r.Parameters)) {
    for (const p of r.Parameters as Array<Record<string, unknown>>) {
      if (!p || typeof p.Id !== 'string' || !p.Id) continue;
      const b = String(p.Blend ?? 'Add').toLowerCase();
      const blend: Blend = b === 'multiply' ? 'multiply' : b === 'overwrite' ? 'overwrite' : 'add';
      out.push({ id: p.Id, value: num(p.Value, blend === 'multiply' ? 1 : 0), blend });
    }
    return out;
  }
  if (Array.isArray(r.params)) {
    for (const p of r.params as Array<Record<string, unknown>>) {
      if (!p || typeof p.id !== 'string' || !p.id) continue;
      const calc = String(p.calc ?? 'add').toLowerCase();
      const val = num(p.val, 0);
      if (calc === 'set') out.push({ id: p.id, value: val, blend: 'overwrite' });
      else if (calc === 'mult') {
        const def = num(p.def, 1) || 1;
        out.push({ id: p.id, value: val / def, blend: 'multiply' });
      } else out.push({ id: p.id, value: val - num(p.def, 0), blend: 'add' });
    }
  }
  return out;
}

type CoreFn = (id: string, value: number, weight?: number) => void;

/**
 * applyExpressionParams writes the parameters into a Cubism 4 (CubismModel: add/multiply/set
 * ParameterValueById) or Cubism 2 (addToParamFloat/multParamFloat/setParamFloat) core model,
 * skipping the ids in `skip` (the mouth). It returns how many parameters were written.
 */
export function applyExpressionParams(core: Record<string, unknown>, params: readonly ExpressionParam[], skip: ReadonlySet<string> = new Set()): number {
  const fns: Record<Blend, unknown> = typeof core.setParameterValueById === 'function'
    ? { add: core.addParameterValueById, multiply: core.multiplyParameterValueById, overwrite: core.setParameterValueById }
    : { add: core.addToParamFloat, multiply: core.multParamFloat, overwrite: core.setParamFloat };
  let n = 0;
  for (const p of params) {
    if (skip.has(p.id)) continue;
    const fn = fns[p.blend];
    if (typeof fn !== 'function') continue;
    (fn as CoreFn).call(core, p.id, p.value, 1);
    n++;
  }
  return n;
}

/** resolveFile resolves an expression file named in a model setting against the setting's URL. */
export function resolveFile(modelUrl: string, file: string): string {
  const base = new URL(modelUrl, 'http://x/');
  const u = new URL(file.replace(/\\/g, '/'), base);
  return modelUrl.startsWith('http') ? u.href : u.pathname + u.search;
}
