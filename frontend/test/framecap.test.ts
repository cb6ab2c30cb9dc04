import { describe, expect, it } from 'vitest';
import { capFor, IDLE_AFTER_MS, nextFrame, type Activity } from '../src/avatar/framecap';

const idle: Activity = { dragging: false, sinceInteraction: 10_000, speaking: false, busy: false };

/** rendered counts the frames a display at `hz` renders in `ms` with the cap of `activity`. */
function rendered(hz: number, ms: number, activity: Activity): number {
  let clock = -Infinity;
  let n = 0;
  const ticks = Math.round((hz * ms) / 1000);
  for (let i = 0; i < ticks; i++) {
    const t = (i * 1000) / hz;
    const next = nextFrame(t, clock, capFor(activity, 60, 15));
    if (next !== null) {
      clock = next;
      n++;
    }
  }
  return n;
}

describe('idle frame-rate cap', () => {
  it('is low when idle and full while interacting, speaking, dragging or animating', () => {
    expect(capFor(idle, 60, 15)).toBe(15);
    expect(capFor({ ...idle, sinceInteraction: IDLE_AFTER_MS - 1 }, 60, 15)).toBe(60);
    expect(capFor({ ...idle, sinceInteraction: IDLE_AFTER_MS }, 60, 15)).toBe(15);
    expect(capFor({ ...idle, speaking: true }, 60, 15)).toBe(60);
    expect(capFor({ ...idle, dragging: true }, 60, 15)).toBe(60);
    expect(capFor({ ...idle, busy: true }, 60, 15)).toBe(60);
  });

  it('renders about 15 frames a second when idle, on 60 Hz and 144 Hz displays', () => {
    expect(rendered(60, 1000, idle)).toBe(15);
    expect(rendered(144, 1000, idle)).toBeGreaterThanOrEqual(14);
    expect(rendered(144, 1000, idle)).toBeLessThanOrEqual(16);
  });

  it('keeps the full display rate up to 60 when active', () => {
    expect(rendered(60, 1000, { ...idle, speaking: true })).toBe(60);
    expect(rendered(144, 1000, { ...idle, speaking: true })).toBeLessThanOrEqual(61);
    expect(rendered(144, 1000, { ...idle, speaking: true })).toBeGreaterThanOrEqual(58);
  });
});

describe('frame clock', () => {
  it('skips ticks inside the interval and jumps after a stall instead of a burst', () => {
    expect(nextFrame(10, 0, 60)).toBeNull();
    expect(nextFrame(16, 0, 60)).toBeCloseTo(16.667, 2); // within 1 ms of slack
    expect(nextFrame(5000, 0, 60)).toBe(5000);
    expect(nextFrame(0, -Infinity, 15)).toBe(0);
  });
});
