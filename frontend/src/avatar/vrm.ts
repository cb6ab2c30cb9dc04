// Package avatar/vrm: VRM renderer with three.js and @pixiv/three-vrm — transparent scene with a
// soft light rig, VRMA or procedural idle, blinking, head follow, emotion expressions and lip sync.

import * as THREE from 'three';
import { GLTFLoader } from 'three/examples/jsm/loaders/GLTFLoader.js';
import { VRMLoaderPlugin, VRMUtils, type VRM } from '@pixiv/three-vrm';
import { VRMAnimationLoaderPlugin, createVRMAnimationClip, type VRMAnimation } from '@pixiv/three-vrm-animation';
import { resolveVrmExpressions } from './emotion';
import { countOpaque, readCanvasPixels, type Avatar, type Transform } from './types';

export interface Lighting {
  ambient: number;
  main: number;
  fill: number;
  rim: number;
  top: number;
  bottom: number;
  exposure: number;
  toneMapping: number;
}

export const DEFAULT_LIGHTING: Lighting = { ambient: 0.4, main: 1.2, fill: 0.5, rim: 0.8, top: 0.3, bottom: 0.15, exposure: 0, toneMapping: 0 };

const TONE_MAPPINGS: THREE.ToneMapping[] = [
  THREE.NoToneMapping, THREE.LinearToneMapping, THREE.ReinhardToneMapping, THREE.CineonToneMapping, THREE.ACESFilmicToneMapping, THREE.AgXToneMapping,
];

export interface VrmOptions {
  canvas: HTMLCanvasElement;
  modelPath: string;
  idleAnimation?: string;
  lighting?: Partial<Lighting>;
  mapping?: Record<string, string[]>;
}

const FOV = 30;
const CAM_Z = 3.5;

export class VrmAvatar implements Avatar {
  readonly kind = 'vrm' as const;
  readonly modelPath: string;
  private readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(FOV, 1, 0.1, 20);
  private readonly vrm: VRM;
  private mixer: THREE.AnimationMixer | null = null;
  private mapping: Record<string, string[]>;
  private readonly weights = new Map<string, { cur: number; target: number }>();
  private mouth = 0;
  private time = 0;
  private nextBlink = 2;
  private blinkT = -1;
  private look = { yaw: 0, pitch: 0, ty: 0, tp: 0 };
  private height = 1;
  private previewUntil = 0;

  private constructor(opts: VrmOptions, renderer: THREE.WebGLRenderer, vrm: VRM) {
    this.modelPath = opts.modelPath;
    this.renderer = renderer;
    this.vrm = vrm;
    this.mapping = opts.mapping ?? {};
    this.camera.position.set(0, 0.85, CAM_Z);
    this.camera.lookAt(0, 0.82, 0);
    this.lights.main.position.set(0.6, 1.5, 2);
    this.lights.fill.position.set(-1.2, 1, 1.5);
    this.lights.rim.position.set(-1, 1, -1.5);
    this.lights.top.position.set(0, 3, 0);
    this.lights.bottom.position.set(0, -2, 1);
    for (const l of Object.values(this.lights)) this.scene.add(l);
    this.setLighting(opts.lighting);
    this.scene.add(vrm.scene);
  }

  private readonly lights = {
    ambient: new THREE.HemisphereLight(0xffffff, 0x8888aa, 1.6),
    main: new THREE.DirectionalLight(0xffffff, 1.6),
    fill: new THREE.DirectionalLight(0xfff4ee, 0.5),
    rim: new THREE.DirectionalLight(0xccddff, 0.7),
    top: new THREE.DirectionalLight(0xffffff, 0.3),
    bottom: new THREE.DirectionalLight(0xffeedd, 0.15),
  };

  /** setLighting applies a character's lighting (reference §11.1 ranges; missing values use defaults). */
  setLighting(l: Partial<Lighting> | undefined): void {
    const v = { ...DEFAULT_LIGHTING, ...(l ?? {}) };
    const clamp = (x: number, lo: number, hi: number, d: number) => (Number.isFinite(x) ? Math.max(lo, Math.min(hi, x)) : d);
    this.lights.ambient.intensity = clamp(v.ambient, 0, 1, 0.4) * 4;
    this.lights.main.intensity = clamp(v.main, 0, 2.5, 1.2) * 1.33;
    this.lights.fill.intensity = clamp(v.fill, 0, 1, 0.5);
    this.lights.rim.intensity = clamp(v.rim, 0, 1.5, 0.8) * 0.875;
    this.lights.top.intensity = clamp(v.top, 0, 1, 0.3);
    this.lights.bottom.intensity = clamp(v.bottom, 0, 0.5, 0.15);
    this.renderer.toneMapping = TONE_MAPPINGS[Math.round(clamp(v.toneMapping, 0, 5, 0))] ?? THREE.NoToneMapping;
    this.renderer.toneMappingExposure = Math.pow(2, clamp(v.exposure, -10, 10, 0));
  }

  /** load reads a .vrm (and an optional .vrma idle) and builds the avatar. Throws on a broken file. */
  static async load(opts: VrmOptions): Promise<VrmAvatar> {
    const loader = new GLTFLoader();
    loader.register((p) => new VRMLoaderPlugin(p));
    loader.register((p) => new VRMAnimationLoaderPlugin(p));
    const gltf = await loader.loadAsync(opts.modelPath);
    const vrm = gltf.userData.vrm as VRM | undefined;
    if (!vrm) throw new Error('not a VRM file (no VRM extension)');
    VRMUtils.removeUnnecessaryVertices(gltf.scene);
    VRMUtils.rotateVRM0(vrm);
    vrm.scene.traverse((o) => {
      o.frustumCulled = false;
    });
    const renderer = new THREE.WebGLRenderer({ canvas: opts.canvas, alpha: true, antialias: true, premultipliedAlpha: true });
    renderer.setClearColor(0x000000, 0);
    renderer.setPixelRatio(Math.min(2, globalThis.devicePixelRatio || 1));
    renderer.outputColorSpace = THREE.SRGBColorSpace;
    const avatar = new VrmAvatar(opts, renderer, vrm);
    if (opts.idleAnimation) {
      try {
        await avatar.playIdle(loader, opts.idleAnimation);
      } catch {
        /* the procedural idle is used instead */
      }
    }
    return avatar;
  }

  private async playIdle(loader: GLTFLoader, url: string): Promise<void> {
    const g = await loader.loadAsync(url);
    const anims = g.userData.vrmAnimations as VRMAnimation[] | undefined;
    const first = anims?.[0];
    if (!first) throw new Error('no VRM animation in file');
    this.mixer = new THREE.AnimationMixer(this.vrm.scene);
    this.mixer.clipAction(createVRMAnimationClip(first, this.vrm)).play();
  }

  setMapping(m: Record<string, string[]>): void {
    this.mapping = m;
  }

  expressionNames(): string[] {
    const em = this.vrm.expressionManager;
    return em ? em.expressions.map((e) => e.expressionName) : [];
  }

  previewExpression(name: string): void {
    for (const w of this.weights.values()) w.target = 0;
    this.weights.set(name, { cur: this.weights.get(name)?.cur ?? 0, target: 1 });
    this.previewUntil = this.time + 3;
  }

  setEmotion(emotion: string): void {
    const names = resolveVrmExpressions(emotion, this.expressionNames(), this.mapping);
    for (const w of this.weights.values()) w.target = 0;
    for (const n of names) this.weights.set(n, { cur: this.weights.get(n)?.cur ?? 0, target: 1 });
  }

  setMouth(v: number): void {
    this.mouth = v;
  }

  lookAt(x: number, y: number): void {
    const w = this.renderer.domElement.clientWidth || 1;
    const h = this.renderer.domElement.clientHeight || 1;
    this.look.ty = Math.max(-0.7, Math.min(0.7, (x / w - 0.5) * 1.2));
    this.look.tp = Math.max(-0.4, Math.min(0.4, (y / h - 0.3) * 0.6));
  }

  private worldPerPixel(): number {
    return (2 * CAM_Z * Math.tan((FOV * Math.PI) / 360)) / this.height;
  }

  moveBy(dx: number, dy: number): void {
    const k = this.worldPerPixel();
    this.vrm.scene.position.x += dx * k;
    this.vrm.scene.position.y -= dy * k;
  }

  zoomBy(f: number): void {
    const s = Math.max(0.2, Math.min(5, this.vrm.scene.scale.x * f));
    this.vrm.scene.scale.setScalar(s);
  }

  getTransform(): Transform {
    const p = this.vrm.scene.position;
    const s = this.vrm.scene.scale;
    return { position: { x: p.x, y: p.y }, scale: { x: s.x, y: s.y } };
  }

  setTransform(t: Transform): void {
    this.vrm.scene.position.set(t.position.x, t.position.y, 0);
    this.vrm.scene.scale.setScalar(Math.max(0.2, Math.min(5, t.scale.x)));
  }

  resize(width: number, height: number): void {
    if (width < 1 || height < 1) return;
    this.height = height;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
  }

  busy(): boolean {
    return [...this.weights.values()].some((w) => Math.abs(w.cur - w.target) > 0.01);
  }

  private proceduralIdle(): void {
    const h = this.vrm.humanoid;
    const t = this.time;
    const set = (bone: Parameters<typeof h.getNormalizedBoneNode>[0], x: number, y: number, z: number) => {
      const n = h.getNormalizedBoneNode(bone);
      n?.rotation.set(x, y, z);
    };
    set('leftUpperArm', 0, 0, -1.15 + Math.sin(t * 1.1) * 0.03);
    set('rightUpperArm', 0, 0, 1.15 - Math.sin(t * 1.1) * 0.03);
    set('leftLowerArm', 0, -0.2, 0);
    set('rightLowerArm', 0, 0.2, 0);
    set('spine', Math.sin(t * 1.6) * 0.015, 0, Math.sin(t * 0.7) * 0.02);
  }

  frame(dt: number): void {
    this.time += dt;
    if (this.mixer) this.mixer.update(dt);
    else this.proceduralIdle();
    // head follow, smoothed
    this.look.yaw += (this.look.ty - this.look.yaw) * Math.min(1, dt * 6);
    this.look.pitch += (this.look.tp - this.look.pitch) * Math.min(1, dt * 6);
    const head = this.vrm.humanoid.getNormalizedBoneNode('head');
    if (head) head.rotation.set(this.look.pitch, this.look.yaw, 0);
    const em = this.vrm.expressionManager;
    if (em) {
      if (this.previewUntil && this.time > this.previewUntil) {
        this.previewUntil = 0;
        for (const w of this.weights.values()) w.target = 0;
      }
      for (const [name, w] of this.weights) {
        w.cur += (w.target - w.cur) * Math.min(1, dt * 8);
        em.setValue(name, w.cur);
      }
      // blink
      if (this.blinkT < 0 && this.time > this.nextBlink) this.blinkT = 0;
      if (this.blinkT >= 0) {
        this.blinkT += dt;
        const b = this.blinkT < 0.08 ? this.blinkT / 0.08 : Math.max(0, 1 - (this.blinkT - 0.08) / 0.1);
        em.setValue('blink', b);
        if (this.blinkT > 0.18) {
          this.blinkT = -1;
          em.setValue('blink', 0);
          this.nextBlink = this.time + 2.5 + Math.random() * 3.5;
        }
      }
      em.setValue('aa', Math.min(1, this.mouth));
    }
    this.vrm.update(dt);
    this.renderer.render(this.scene, this.camera);
  }

  opaquePixels(): number {
    this.frame(0);
    return countOpaque(readCanvasPixels(this.renderer.getContext()));
  }

  dispose(): void {
    this.mixer?.stopAllAction();
    VRMUtils.deepDispose(this.vrm.scene);
    this.renderer.dispose();
    this.renderer.forceContextLoss(); // free the GPU context now, not at garbage collection
  }
}
