// Package avatar/types: what every avatar renderer (Live2D, VRM) offers to the page.

export interface Transform {
  position: { x: number; y: number };
  scale: { x: number; y: number };
}

export interface Avatar {
  readonly kind: 'live2d' | 'vrm';
  readonly modelPath: string;
  /** update advances animation by dt seconds and renders one frame. */
  frame(dt: number): void;
  /** setMouth sets the mouth opening 0..1 (lip sync). */
  setMouth(v: number): void;
  /** setEmotion shows an emotion (happy, sad, angry, neutral, surprised, relaxed). */
  setEmotion(emotion: string): void;
  /** lookAt makes the head/eyes follow a point in canvas pixels. */
  lookAt(x: number, y: number): void;
  /** moveBy drags the avatar by canvas pixels; zoomBy multiplies its scale around a point. */
  moveBy(dx: number, dy: number): void;
  zoomBy(factor: number): void;
  getTransform(): Transform;
  setTransform(t: Transform): void;
  resize(width: number, height: number): void;
  /** busy reports whether an animation is running that needs the full frame rate. */
  busy(): boolean;
  /** opaquePixels renders a frame and counts the pixels that are not background (tests, health). */
  opaquePixels(): number;
  /** expressionNames lists the expressions the model has (for the emotion manager preview). */
  expressionNames(): string[];
  previewExpression(name: string): void;
  dispose(): void;
}

/** countOpaque counts pixels with alpha > 0 in RGBA bytes. */
export function countOpaque(rgba: Uint8Array): number {
  let n = 0;
  for (let i = 3; i < rgba.length; i += 4) if ((rgba[i] ?? 0) > 0) n++;
  return n;
}

/** readCanvasPixels reads the drawing buffer of a WebGL canvas right after a render. */
export function readCanvasPixels(gl: WebGLRenderingContext | WebGL2RenderingContext): Uint8Array {
  const w = gl.drawingBufferWidth;
  const h = gl.drawingBufferHeight;
  const buf = new Uint8Array(w * h * 4);
  gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, buf);
  return buf;
}
