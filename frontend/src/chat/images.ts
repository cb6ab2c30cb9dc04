// Package chat/images: images and screenshots for the chat, as JPEG data URLs capped at 1280×720
// (reference §5.6).

const MAX_W = 1280;
const MAX_H = 720;

function drawScaled(src: CanvasImageSource, w: number, h: number): string {
  const k = Math.min(1, MAX_W / w, MAX_H / h);
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(w * k));
  c.height = Math.max(1, Math.round(h * k));
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('no 2d canvas');
  ctx.drawImage(src, 0, 0, c.width, c.height);
  return c.toDataURL('image/jpeg', 0.8);
}

/** fileToJpeg reads an image file and returns a scaled JPEG data URL. */
export async function fileToJpeg(file: File): Promise<string> {
  if (!file.type.startsWith('image/')) throw new Error(`not an image: ${file.name}`);
  const bmp = await createImageBitmap(file);
  try {
    return drawScaled(bmp, bmp.width, bmp.height);
  } finally {
    bmp.close();
  }
}

/** captureScreen grabs one frame of a screen the user picks (getDisplayMedia). */
export async function captureScreen(): Promise<string> {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  try {
    const video = document.createElement('video');
    video.srcObject = stream;
    video.muted = true;
    await video.play();
    return drawScaled(video, video.videoWidth, video.videoHeight);
  } finally {
    stream.getTracks().forEach((t) => t.stop());
  }
}
