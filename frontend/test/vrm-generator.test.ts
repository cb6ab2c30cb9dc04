import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Accessor { bufferView: number; count: number; type: string; componentType: number; min?: number[]; max?: number[] }
interface Gltf {
  asset: { version: string };
  extensionsUsed: string[];
  nodes: Array<{ name: string; mesh?: number; children?: number[] }>;
  meshes: Array<{ primitives: Array<{ attributes: Record<string, number>; indices: number; targets?: Array<{ POSITION: number }> }> }>;
  accessors: Accessor[];
  bufferViews: Array<{ byteOffset: number; byteLength: number }>;
  buffers: Array<{ byteLength: number }>;
  extensions: { VRMC_vrm: { specVersion: string; meta: Record<string, unknown>; humanoid: { humanBones: Record<string, { node: number }> }; expressions: { preset: Record<string, { morphTargetBinds?: Array<{ node: number; index: number }> }> } } };
}

const REQUIRED_BONES = ['hips', 'spine', 'head', 'leftUpperArm', 'leftLowerArm', 'leftHand', 'rightUpperArm', 'rightLowerArm', 'rightHand',
  'leftUpperLeg', 'leftLowerLeg', 'leftFoot', 'rightUpperLeg', 'rightLowerLeg', 'rightFoot'];

function readGlb(path: string): { json: Gltf; bin: Buffer; total: number; declared: number } {
  const buf = readFileSync(path);
  expect(buf.toString('latin1', 0, 4)).toBe('glTF');
  expect(buf.readUInt32LE(4)).toBe(2);
  const jsonLen = buf.readUInt32LE(12);
  expect(buf.readUInt32LE(16)).toBe(0x4e4f534a);
  const json = JSON.parse(buf.toString('utf8', 20, 20 + jsonLen)) as Gltf;
  const binStart = 20 + jsonLen;
  const binLen = buf.readUInt32LE(binStart);
  expect(buf.readUInt32LE(binStart + 4)).toBe(0x004e4942);
  return { json, bin: buf.subarray(binStart + 8, binStart + 8 + binLen), total: buf.length, declared: buf.readUInt32LE(8) };
}

describe('make-vrm.mjs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neko-vrm-'));
  const out = join(dir, 'default.vrm');
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/make-vrm.mjs', import.meta.url)), out]);
  const { json, bin, total, declared } = readGlb(out);
  rmSync(dir, { recursive: true, force: true });

  it('writes a well-formed GLB whose sizes add up', () => {
    expect(declared).toBe(total);
    expect(json.asset.version).toBe('2.0');
    expect(json.buffers[0]?.byteLength).toBeLessThanOrEqual(bin.length);
    for (const v of json.bufferViews) expect(v.byteOffset + v.byteLength).toBeLessThanOrEqual(json.buffers[0]!.byteLength);
    const size = { SCALAR: 1, VEC3: 3 } as Record<string, number>;
    const bytes = { 5126: 4, 5123: 2 } as Record<number, number>;
    for (const a of json.accessors) {
      expect(a.count * (size[a.type] ?? 0) * (bytes[a.componentType] ?? 0)).toBe(json.bufferViews[a.bufferView]!.byteLength);
    }
  });

  it('is a VRM 1.0 with every required humanoid bone on a distinct node', () => {
    expect(json.extensionsUsed).toContain('VRMC_vrm');
    const vrm = json.extensions.VRMC_vrm;
    expect(vrm.specVersion).toBe('1.0');
    expect(vrm.meta.otherLicenseUrl).toMatch(/publicdomain\/zero/);
    const nodes = REQUIRED_BONES.map((b) => vrm.humanoid.humanBones[b]?.node);
    for (const n of nodes) expect(json.nodes[n as number]).toBeDefined();
    expect(new Set(nodes).size).toBe(REQUIRED_BONES.length);
    // hierarchy: spine is a descendant of hips, head of spine
    const childrenOf = (i: number): number[] => (json.nodes[i]?.children ?? []).flatMap((c) => [c, ...childrenOf(c)]);
    expect(childrenOf(vrm.humanoid.humanBones.hips!.node)).toContain(vrm.humanoid.humanBones.head!.node);
    for (const n of json.nodes) if (n.children) expect(n.children.length).toBeGreaterThan(0);
  });

  it('has the lip-sync, blink and emotion expressions as morph targets that really move vertices', () => {
    const preset = json.extensions.VRMC_vrm.expressions.preset;
    for (const name of ['aa', 'ih', 'ou', 'ee', 'oh', 'blink', 'happy', 'sad', 'angry', 'surprised', 'relaxed']) {
      const bind = preset[name]?.morphTargetBinds?.[0];
      expect(bind, name).toBeDefined();
      const mesh = json.meshes[json.nodes[bind!.node]!.mesh!]!;
      let moved = 0;
      for (const prim of mesh.primitives) {
        const target = prim.targets?.[bind!.index];
        expect(target).toBeDefined();
        const acc = json.accessors[target!.POSITION]!;
        expect(acc.count).toBe(json.accessors[prim.attributes.POSITION!]!.count);
        const view = json.bufferViews[acc.bufferView]!;
        const f = new Float32Array(bin.buffer.slice(bin.byteOffset + view.byteOffset, bin.byteOffset + view.byteOffset + view.byteLength));
        moved += f.reduce((s, v) => s + Math.abs(v), 0);
      }
      expect(moved, name).toBeGreaterThan(0.01);
    }
  });
});
