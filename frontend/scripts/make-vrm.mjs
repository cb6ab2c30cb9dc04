// Writes public/static/vrm/default.vrm: our own CC0 VRM 1.0 avatar — a small stylised cat girl made
// of rigid parts parented to humanoid bones, with aa/ih/ou/ee/oh/blink/happy (and sad, angry,
// surprised, relaxed, neutral) expressions as morph targets on the face.
// Usage: node scripts/make-vrm.mjs [outfile]
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] ?? `${here}/../public/static/vrm/default.vrm`);

// ---- geometry helpers (each returns {pos, nrm, idx}) ----
function sphere(seg = 16, rings = 12) {
  const pos = [], nrm = [], idx = [];
  for (let r = 0; r <= rings; r++) {
    const th = (r / rings) * Math.PI;
    for (let s = 0; s <= seg; s++) {
      const ph = (s / seg) * Math.PI * 2;
      const x = Math.sin(th) * Math.sin(ph), y = Math.cos(th), z = Math.sin(th) * Math.cos(ph);
      pos.push(x, y, z);
      nrm.push(x, y, z);
    }
  }
  for (let r = 0; r < rings; r++) {
    for (let s = 0; s < seg; s++) {
      const a = r * (seg + 1) + s, b = a + seg + 1;
      idx.push(a, b, a + 1, b, b + 1, a + 1);
    }
  }
  return { pos, nrm, idx };
}

function box() {
  const pos = [], nrm = [], idx = [];
  const faces = [
    [[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[-1, 0, 0], [0, 1, 0], [0, 0, -1]],
    [[0, 1, 0], [0, 0, 1], [1, 0, 0]], [[0, -1, 0], [0, 0, -1], [1, 0, 0]],
    [[0, 0, 1], [1, 0, 0], [0, 1, 0]], [[0, 0, -1], [-1, 0, 0], [0, 1, 0]],
  ];
  for (const [n, u, v] of faces) {
    const base = pos.length / 3;
    for (const [a, b] of [[-1, -1], [1, -1], [1, 1], [-1, 1]]) {
      pos.push(n[0] + u[0] * a + v[0] * b, n[1] + u[1] * a + v[1] * b, n[2] + u[2] * a + v[2] * b);
      nrm.push(...n);
    }
    idx.push(base, base + 1, base + 2, base, base + 2, base + 3);
  }
  return { pos, nrm, idx };
}

function cone(seg = 12) {
  const pos = [0, 1, 0], nrm = [0, 1, 0], idx = [];
  for (let s = 0; s <= seg; s++) {
    const ph = (s / seg) * Math.PI * 2;
    pos.push(Math.sin(ph), 0, Math.cos(ph));
    nrm.push(Math.sin(ph), 0.5, Math.cos(ph));
  }
  for (let s = 1; s <= seg; s++) idx.push(0, s, s + 1);
  return { pos, nrm, idx };
}

/** place scales then rotates around Z by rz then translates a geometry (returns a new one). */
function place(g, [sx, sy, sz], [tx, ty, tz], rz = 0) {
  const c = Math.cos(rz), s = Math.sin(rz);
  const pos = [], nrm = [];
  for (let i = 0; i < g.pos.length; i += 3) {
    const x = g.pos[i] * sx, y = g.pos[i + 1] * sy, z = g.pos[i + 2] * sz;
    pos.push(x * c - y * s + tx, x * s + y * c + ty, z + tz);
    const nx = g.nrm[i] / sx, ny = g.nrm[i + 1] / sy, nz = g.nrm[i + 2] / sz;
    const l = Math.hypot(nx, ny, nz) || 1;
    nrm.push((nx * c - ny * s) / l, (nx * s + ny * c) / l, nz / l);
  }
  return { pos, nrm, idx: g.idx.slice() };
}

function merge(...gs) {
  const out = { pos: [], nrm: [], idx: [] };
  for (const g of gs) {
    const base = out.pos.length / 3;
    out.pos.push(...g.pos);
    out.nrm.push(...g.nrm);
    out.idx.push(...g.idx.map((i) => i + base));
  }
  return out;
}

// ---- binary buffer and accessors ----
const chunks = [];
let byteLength = 0;
const bufferViews = [], accessors = [];

function addView(bytes, target) {
  const pad = (4 - (byteLength % 4)) % 4;
  if (pad) { chunks.push(Buffer.alloc(pad)); byteLength += pad; }
  const view = { buffer: 0, byteOffset: byteLength, byteLength: bytes.byteLength };
  if (target) view.target = target;
  chunks.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  byteLength += bytes.byteLength;
  bufferViews.push(view);
  return bufferViews.length - 1;
}

function vec3Accessor(values, target = 34962) {
  const f = new Float32Array(values);
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < f.length; i += 3) {
    for (let k = 0; k < 3; k++) { min[k] = Math.min(min[k], f[i + k]); max[k] = Math.max(max[k], f[i + k]); }
  }
  accessors.push({ bufferView: addView(f, target), componentType: 5126, count: f.length / 3, type: 'VEC3', min, max });
  return accessors.length - 1;
}

function indexAccessor(values) {
  const u = new Uint16Array(values);
  accessors.push({ bufferView: addView(u, 34963), componentType: 5123, count: u.length, type: 'SCALAR' });
  return accessors.length - 1;
}

// ---- materials ----
const materials = [];
function material(name, rgb) {
  materials.push({ name, pbrMetallicRoughness: { baseColorFactor: [...rgb, 1], metallicFactor: 0, roughnessFactor: 0.85 } });
  return materials.length - 1;
}
const M = {
  skin: material('skin', [1.0, 0.86, 0.78]),
  hair: material('hair', [0.42, 0.3, 0.55]),
  dress: material('dress', [0.35, 0.55, 0.95]),
  eye: material('eye', [0.12, 0.1, 0.2]),
  mouth: material('mouth', [0.75, 0.25, 0.3]),
  shoe: material('shoe', [0.25, 0.2, 0.25]),
};

// ---- scene graph ----
const nodes = [], meshes = [];
function node(name, translation, children = []) {
  nodes.push({ name, translation, children });
  return nodes.length - 1;
}
function meshNode(parent, name, prims) {
  meshes.push({ name, primitives: prims });
  const n = node(`${name}_mesh`, [0, 0, 0]);
  nodes[n].mesh = meshes.length - 1;
  nodes[parent].children.push(n);
  return n;
}
function prim(g, mat, targets) {
  const p = { attributes: { POSITION: vec3Accessor(g.pos), NORMAL: vec3Accessor(g.nrm) }, indices: indexAccessor(g.idx), material: mat };
  if (targets) p.targets = targets.map((t) => ({ POSITION: t }));
  return p;
}

// Humanoid skeleton (metres; the avatar faces +Z, its left is +X).
const hips = node('hips', [0, 0.82, 0]);
const spine = node('spine', [0, 0.1, 0]);
const chest = node('chest', [0, 0.16, 0]);
const neck = node('neck', [0, 0.2, 0]);
const head = node('head', [0, 0.07, 0]);
const lUA = node('leftUpperArm', [0.16, 0.16, 0]), lLA = node('leftLowerArm', [0.22, 0, 0]), lH = node('leftHand', [0.2, 0, 0]);
const rUA = node('rightUpperArm', [-0.16, 0.16, 0]), rLA = node('rightLowerArm', [-0.22, 0, 0]), rH = node('rightHand', [-0.2, 0, 0]);
const lUL = node('leftUpperLeg', [0.08, -0.04, 0]), lLL = node('leftLowerLeg', [0, -0.37, 0]), lF = node('leftFoot', [0, -0.36, 0]);
const rUL = node('rightUpperLeg', [-0.08, -0.04, 0]), rLL = node('rightLowerLeg', [0, -0.37, 0]), rF = node('rightFoot', [0, -0.36, 0]);
const link = (p, ...c) => nodes[p].children.push(...c);
link(hips, spine, lUL, rUL); link(spine, chest); link(chest, neck, lUA, rUA); link(neck, head);
link(lUA, lLA); link(lLA, lH); link(rUA, rLA); link(rLA, rH); link(lUL, lLL); link(lLL, lF); link(rUL, rLL); link(rLL, rF);

// Body parts.
meshNode(hips, 'Skirt', [prim(place(cone(16), [0.2, 0.32, 0.16], [0, -0.2, 0]), M.dress)]);
meshNode(spine, 'Torso', [prim(place(sphere(), [0.13, 0.2, 0.09], [0, 0.12, 0]), M.dress)]);
meshNode(neck, 'Neck', [prim(place(sphere(8, 6), [0.035, 0.06, 0.035], [0, 0.02, 0]), M.skin)]);
for (const [ua, la, hand, side] of [[lUA, lLA, lH, 1], [rUA, rLA, rH, -1]]) {
  meshNode(ua, `UpperArm${side}`, [prim(place(sphere(10, 8), [0.12, 0.035, 0.035], [side * 0.11, 0, 0]), M.dress)]);
  meshNode(la, `LowerArm${side}`, [prim(place(sphere(10, 8), [0.11, 0.03, 0.03], [side * 0.1, 0, 0]), M.skin)]);
  meshNode(hand, `Hand${side}`, [prim(place(sphere(8, 6), [0.045, 0.035, 0.02], [side * 0.04, 0, 0]), M.skin)]);
}
for (const [ul, ll, foot, side] of [[lUL, lLL, lF, 1], [rUL, rLL, rF, -1]]) {
  meshNode(ul, `UpperLeg${side}`, [prim(place(sphere(10, 8), [0.05, 0.19, 0.05], [0, -0.18, 0]), M.skin)]);
  meshNode(ll, `LowerLeg${side}`, [prim(place(sphere(10, 8), [0.04, 0.19, 0.04], [0, -0.18, 0]), M.skin)]);
  meshNode(foot, `Foot${side}`, [prim(place(box(), [0.04, 0.03, 0.08], [0, -0.02, 0.03]), M.shoe)]);
}
// Hair: a cap behind and over the head, plus two cat ears.
const hairGeo = merge(
  place(sphere(), [0.135, 0.14, 0.13], [0, 0.13, -0.015]),
  place(cone(), [0.045, 0.09, 0.03], [0.08, 0.23, -0.01], -0.45),
  place(cone(), [0.045, 0.09, 0.03], [-0.08, 0.23, -0.01], 0.45),
);
meshNode(head, 'Hair', [prim(hairGeo, M.hair)]);

// Face with morph targets. Every primitive has one target per expression (zero where unused).
const HEAD_C = [0, 0.12, 0], R = 0.125;
const face = place(sphere(20, 16), [R, R, R], HEAD_C);
const eyeL = [0.042, 0.13, 0.114], eyeR = [-0.042, 0.13, 0.114], mouthC = [0, 0.075, 0.118];
const eyeBase = [0.016, 0.024, 0.008];
const eyes = merge(place(sphere(10, 8), eyeBase, eyeL), place(sphere(10, 8), eyeBase, eyeR));
const mouthBase = [0.022, 0.005, 0.006];
const mouth = place(sphere(12, 8), mouthBase, mouthC);

/** delta morphs a part: scale about its centre by s and move by d; returns per-vertex deltas. */
function morph(g, centres, s, d = [0, 0, 0]) {
  const out = [];
  const per = g.pos.length / 3 / centres.length;
  for (let i = 0; i < g.pos.length; i += 3) {
    const c = centres[Math.floor(i / 3 / per)];
    for (let k = 0; k < 3; k++) out.push((g.pos[i + k] - c[k]) * (s[k] - 1) + d[k]);
  }
  return out;
}
const zero = (g) => new Array(g.pos.length).fill(0);
// name: [eye scale, eye move, mouth scale, mouth move]
const EXPR = {
  aa: [null, null, [1.1, 4.5, 1], [0, -0.008, 0]],
  ih: [null, null, [1.5, 1.6, 1], [0, 0, 0]],
  ou: [null, null, [0.6, 2.6, 1.2], [0, -0.003, 0]],
  ee: [null, null, [1.7, 2.2, 1], [0, -0.002, 0]],
  oh: [null, null, [0.9, 3.6, 1.1], [0, -0.006, 0]],
  blink: [[1.15, 0.08, 1], [0, -0.006, 0], null, null],
  happy: [[1.1, 0.3, 1], [0, 0.004, 0], [1.6, 1.8, 1], [0, 0.002, 0]],
  sad: [[0.9, 0.6, 1], [0, -0.004, 0], [0.8, 1.2, 1], [0, -0.006, 0]],
  angry: [[1.1, 0.5, 1], [0, 0, 0], [1.2, 0.8, 1], [0, -0.004, 0]],
  surprised: [[1.25, 1.3, 1], [0, 0.004, 0], [0.8, 3.4, 1], [0, -0.008, 0]],
  relaxed: [[1.05, 0.45, 1], [0, -0.002, 0], [1.3, 1.2, 1], [0, 0.001, 0]],
};
const names = Object.keys(EXPR);
const faceZero = vec3Accessor(zero(face));
const eyeTargets = [], mouthTargets = [], faceTargets = [];
for (const n of names) {
  const [es, ed, ms, md] = EXPR[n];
  eyeTargets.push(vec3Accessor(es ? morph(eyes, [eyeL, eyeR], es, ed) : zero(eyes)));
  mouthTargets.push(vec3Accessor(ms ? morph(mouth, [mouthC], ms, md) : zero(mouth)));
  faceTargets.push(faceZero);
}
const faceNode = meshNode(head, 'Face', [prim(face, M.skin, faceTargets), prim(eyes, M.eye, eyeTargets), prim(mouth, M.mouth, mouthTargets)]);
meshes[meshes.length - 1].extras = { targetNames: names };

// ---- VRM 1.0 extension ----
const bones = { hips, spine, chest, neck, head, leftUpperArm: lUA, leftLowerArm: lLA, leftHand: lH, rightUpperArm: rUA,
  rightLowerArm: rLA, rightHand: rH, leftUpperLeg: lUL, leftLowerLeg: lLL, leftFoot: lF, rightUpperLeg: rUL,
  rightLowerLeg: rLL, rightFoot: rF };
const humanBones = Object.fromEntries(Object.entries(bones).map(([k, v]) => [k, { node: v }]));
const preset = {};
names.forEach((n, i) => {
  preset[n] = { morphTargetBinds: [{ node: faceNode, index: i, weight: 1 }], isBinary: false,
    overrideBlink: ['happy', 'surprised', 'sad', 'angry', 'relaxed'].includes(n) ? 'blend' : 'none',
    overrideLookAt: 'none', overrideMouth: ['happy', 'surprised'].includes(n) ? 'blend' : 'none' };
});
preset.neutral = { isBinary: false, overrideBlink: 'none', overrideLookAt: 'none', overrideMouth: 'none' };

const root = node('Root', [0, 0, 0], [hips]);
for (const n of nodes) if (!n.children.length) delete n.children; // glTF: children needs ≥1 item
const gltf = {
  asset: { version: '2.0', generator: 'neko make-vrm.mjs' },
  extensionsUsed: ['VRMC_vrm'],
  scene: 0,
  scenes: [{ nodes: [root] }],
  nodes, meshes, materials, accessors, bufferViews,
  buffers: [{ byteLength }],
  extensions: {
    VRMC_vrm: {
      specVersion: '1.0',
      meta: {
        name: 'Neko default', version: '1.0', authors: ['neko project'], copyrightInformation: 'CC0 1.0',
        licenseUrl: 'https://vrm.dev/licenses/1.0/', otherLicenseUrl: 'https://creativecommons.org/publicdomain/zero/1.0/',
        avatarPermission: 'everyone', allowExcessivelyViolentUsage: false, allowExcessivelySexualUsage: false,
        commercialUsage: 'corporation', allowPoliticalOrReligiousUsage: true, allowAntisocialOrHateUsage: false,
        creditNotation: 'unnecessary', allowRedistribution: true, modification: 'allowModificationRedistribution',
      },
      humanoid: { humanBones },
      expressions: { preset },
      lookAt: { offsetFromHeadBone: [0, 0.13, 0.1], type: 'expression',
        rangeMapHorizontalInner: { inputMaxValue: 90, outputScale: 1 }, rangeMapHorizontalOuter: { inputMaxValue: 90, outputScale: 1 },
        rangeMapVerticalDown: { inputMaxValue: 90, outputScale: 1 }, rangeMapVerticalUp: { inputMaxValue: 90, outputScale: 1 } },
    },
  },
};

// ---- GLB container ----
const bin = Buffer.concat(chunks);
const binPadded = Buffer.concat([bin, Buffer.alloc((4 - (bin.length % 4)) % 4)]);
gltf.buffers[0].byteLength = bin.length;
let json = Buffer.from(JSON.stringify(gltf), 'utf8');
json = Buffer.concat([json, Buffer.alloc((4 - (json.length % 4)) % 4, 0x20)]);
const header = Buffer.alloc(12);
const total = 12 + 8 + json.length + 8 + binPadded.length;
header.writeUInt32LE(0x46546c67, 0); header.writeUInt32LE(2, 4); header.writeUInt32LE(total, 8);
const jh = Buffer.alloc(8); jh.writeUInt32LE(json.length, 0); jh.writeUInt32LE(0x4e4f534a, 4);
const bh = Buffer.alloc(8); bh.writeUInt32LE(binPadded.length, 0); bh.writeUInt32LE(0x004e4942, 4);
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.tmp`;
writeFileSync(tmp, Buffer.concat([header, jh, json, bh, binPadded]));
renameSync(tmp, out);
console.log(`wrote ${out} (${total} bytes, ${names.length} expressions)`);
