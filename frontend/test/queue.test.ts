import { describe, expect, it } from 'vitest';
import { PlaybackClock, SpeechGate, floatToPcm16, isOgg, pcm16ToFloat32, rmsToMouth } from '../src/audio/queue';

describe('SpeechGate', () => {
  it('drops every frame of an interrupted speech and keeps later speeches', () => {
    const g = new SpeechGate();
    expect(g.accept('s1')).toBe(true);
    expect(g.currentSpeech).toBe('s1');
    expect(g.interrupt('s1')).toBe(true); // it was playing: stop what is scheduled
    expect(g.accept('s1')).toBe(false); // late frames of s1
    expect(g.accept('s2')).toBe(true);
    expect(g.accept('s1')).toBe(false);
    expect(g.epoch).toBe(1);
  });

  it('interrupting a speech that is not playing does not stop the current one', () => {
    const g = new SpeechGate();
    g.accept('s2');
    expect(g.interrupt('s1')).toBe(false);
    expect(g.accept('s2')).toBe(true);
    expect(g.accept('s1')).toBe(false);
  });

  it('an empty id interrupts whatever plays (text barge-in)', () => {
    const g = new SpeechGate();
    g.accept('s1');
    expect(g.interrupt('')).toBe(true);
    expect(g.accept('s1')).toBe(true); // not remembered: only the epoch changed
    expect(g.epoch).toBe(1);
  });

  it('remembers a bounded number of interrupted ids', () => {
    const g = new SpeechGate(2);
    g.interrupt('a');
    g.interrupt('b');
    g.interrupt('c');
    expect(g.isInterrupted('a')).toBe(false);
    expect(g.isInterrupted('b')).toBe(true);
    expect(g.isInterrupted('c')).toBe(true);
  });
});

describe('PlaybackClock', () => {
  it('schedules chunks back to back and restarts with a lead after a gap', () => {
    const c = new PlaybackClock(0.05);
    expect(c.schedule(10, 0.2)).toBeCloseTo(10.05);
    expect(c.schedule(10.01, 0.2)).toBeCloseTo(10.25);
    expect(c.schedule(10.1, 0.1)).toBeCloseTo(10.45);
    expect(c.busy(10.5)).toBe(true);
    expect(c.busy(10.56)).toBe(false);
    expect(c.schedule(20, 0.1)).toBeCloseTo(20.05);
    c.reset();
    expect(c.endTime).toBe(0);
  });
});

describe('PCM helpers', () => {
  it('converts s16le to floats and back', () => {
    const pcm = new Int16Array([0, 16384, -32768, 32767]);
    const f = pcm16ToFloat32(pcm.buffer);
    expect(Array.from(f)).toEqual([0, 0.5, -1, 32767 / 32768]);
    expect(Array.from(floatToPcm16(new Float32Array([0, 0.5, -1, 1, 2, -2])))).toEqual([0, 16384, -32768, 32767, 32767, -32768]);
    expect(pcm16ToFloat32(new Uint8Array([1, 0, 7]).buffer).length).toBe(1);
  });

  it('detects OGG pages by magic', () => {
    expect(isOgg(new TextEncoder().encode('OggS\0\x02').buffer)).toBe(true);
    expect(isOgg(new Uint8Array([1, 2, 3, 4]).buffer)).toBe(false);
    expect(isOgg(new Uint8Array([0x4f]).buffer)).toBe(false);
  });

  it('maps RMS to a smoothed mouth opening', () => {
    expect(rmsToMouth(0.05, 0)).toBeCloseTo(0.25);
    expect(rmsToMouth(1, 1)).toBe(1);
    expect(rmsToMouth(0, 0.5)).toBe(0.25);
  });
});
