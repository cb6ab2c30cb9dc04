// Package avatar/framecap: the render loop's frame-rate cap (N.E.K.O. #3059, GPU use of the pet
// window): full rate while the user interacts (and 2 s after), while she speaks or an animation
// is busy; a low rate when idle.

export const IDLE_AFTER_MS = 2000;

export interface Activity {
  dragging: boolean;
  /** milliseconds since the last pointer move or wheel */
  sinceInteraction: number;
  speaking: boolean;
  busy: boolean;
}

/** capFor returns the frame-rate cap for the current activity. */
export function capFor(a: Activity, activeFps: number, idleFps: number): number {
  const active = a.dragging || a.sinceInteraction < IDLE_AFTER_MS || a.speaking || a.busy;
  return active ? activeFps : idleFps;
}

/**
 * nextFrame decides whether a requestAnimationFrame tick at time t (ms) renders under the cap: it
 * returns the new frame clock, or null to skip the tick. The clock advances by whole intervals
 * (not to t), so the average rate matches the cap on any display rate (a 144 Hz display capped at
 * 60 renders 60 frames a second, not 48); 1 ms of slack absorbs timer jitter; after a stall the
 * clock jumps to t instead of rendering a burst.
 */
export function nextFrame(t: number, clock: number, fps: number): number | null {
  const interval = 1000 / fps;
  const gap = t - clock;
  if (gap < interval - 1) return null;
  return gap >= 2 * interval ? t : clock + interval;
}
