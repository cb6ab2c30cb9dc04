import { describe, expect, it } from 'vitest';
import { checkLive2DFolder, checkVrmHeader, MAX_VRM_BYTES } from '../src/pages/modelcheck';
import { parseRecent } from '../src/pages/memory';
import { findPreference } from '../src/avatar/stage';
import { DEFAULT_LIVE2D, DEFAULT_VRM, specFromPageConfig } from '../src/avatar/load';
import { countOpaque } from '../src/avatar/types';

const f = (path: string, size = 10) => ({ name: path.split('/').pop() ?? path, size, path });

describe('model upload checks', () => {
  it('accepts a folder with exactly one .model3.json', () => {
    expect(checkLive2DFolder([f('mao/mao.model3.json'), f('mao/mao.moc3'), f('mao/tex/t.png')])).toBeNull();
  });
  it('explains what is wrong with a broken Live2D folder', () => {
    expect(checkLive2DFolder([])).toBe('models.errEmpty');
    expect(checkLive2DFolder([f('x/readme.txt')])).toBe('models.errNoModel3');
    expect(checkLive2DFolder([f('a/a.model3.json'), f('a/b.model3.json')])).toBe('models.errManyModel3');
    expect(checkLive2DFolder([f('a/a.model3.json'), { name: 'x.png', size: 1, path: 'a/../x.png' }])).toBe('models.errPath');
  });
  it('checks a VRM header: magic, version and declared length', () => {
    const head = new Uint8Array(12);
    head.set([0x67, 0x6c, 0x54, 0x46, 2, 0, 0, 0]);
    new DataView(head.buffer).setUint32(8, 5000, true);
    expect(checkVrmHeader('a.vrm', 5000, head)).toBeNull();
    expect(checkVrmHeader('a.vrm', 4999, head)).toBe('models.errBrokenVrm'); // truncated
    expect(checkVrmHeader('a.glb', 5000, head)).toBe('models.errNotVrm');
    expect(checkVrmHeader('a.vrm', MAX_VRM_BYTES + 1, head)).toBe('models.errTooBig');
    expect(checkVrmHeader('a.vrm', 5000, new TextEncoder().encode('not a vrm at all'))).toBe('models.errBrokenVrm');
    expect(checkVrmHeader('a.vrm', 3, new Uint8Array([1, 2, 3]))).toBe('models.errBrokenVrm');
  });
});

describe('recent memory parsing', () => {
  it('reads LangChain message dicts with string or part-list content', () => {
    const text = JSON.stringify([
      { type: 'system', data: { content: '先前对话的备忘录: 无。' } },
      { type: 'human', data: { content: [{ type: 'text', text: 'hi ' }, { type: 'text', text: 'there' }] } },
      { type: 'ai', data: { content: [{ type: 'image_url' }, { type: 'text', text: 'hello' }] } },
      { type: 'weird', data: {} },
    ]);
    expect(parseRecent(text)).toEqual([
      { role: 'system', text: '先前对话的备忘录: 无。' },
      { role: 'human', text: 'hi there' },
      { role: 'ai', text: 'hello' },
      { role: 'human', text: '' },
    ]);
  });
  it('rejects broken JSON clearly and treats non-arrays as empty', () => {
    expect(() => parseRecent('{oops')).toThrow(/not valid JSON/);
    expect(parseRecent('{}')).toEqual([]);
  });
});

describe('avatar helpers', () => {
  it('finds the saved transform of a model', () => {
    const list = [
      { model_path: '/a', position: { x: 1, y: 2 }, scale: { x: 0.5, y: 0.5 } },
      { model_path: '/b', position: { x: 'bad' }, scale: {} },
    ];
    expect(findPreference(list, '/a')?.position).toEqual({ x: 1, y: 2 });
    expect(findPreference(list, '/b')).toBeUndefined();
    expect(findPreference({ not: 'a list' }, '/a')).toBeUndefined();
  });
  it('reads page_config, defaulting to the bundled models', () => {
    expect(specFromPageConfig({ model_path: '/user_vrm/x.vrm', model_type: 'live2d' })).toEqual({ modelPath: '/user_vrm/x.vrm', modelType: 'vrm' });
    expect(specFromPageConfig({ model_type: 'vrm' })).toEqual({ modelPath: DEFAULT_VRM, modelType: 'vrm' });
    expect(specFromPageConfig(null)).toEqual({ modelPath: DEFAULT_LIVE2D, modelType: 'live2d' });
  });
  it('counts non-background pixels', () => {
    expect(countOpaque(new Uint8Array([0, 0, 0, 0, 9, 9, 9, 255, 1, 1, 1, 1]))).toBe(2);
  });
});
