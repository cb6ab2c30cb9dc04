// Package audio/lipsync: mouth opening for the avatar — from the server's envelope messages when
// the desktop plays the audio locally, otherwise from the page's own analyser (reference §5.5).

import { rmsToMouth } from './queue';

export class LipSync {
  private readonly analyser: AnalyserNode | null;
  private readonly buf: Uint8Array<ArrayBuffer>;
  private value = 0;
  private envelope = 0;
  private envelopeAt = -Infinity;
  private frame = 0;

  constructor(analyser: AnalyserNode | null) {
    this.analyser = analyser;
    this.buf = new Uint8Array(analyser ? analyser.fftSize : 0);
  }

  /** setEnvelope feeds a server-side level (0..1) for audio played by the desktop itself. */
  setEnvelope(level: number, now: number = performance.now()): void {
    this.envelope = Math.max(0, Math.min(1, level));
    this.envelopeAt = now;
  }

  /** sample returns the mouth opening for this animation frame (reads the analyser every 2nd frame). */
  sample(now: number = performance.now()): number {
    if (now - this.envelopeAt < 300) {
      this.value = (this.envelope + this.value) / 2;
      return this.value;
    }
    this.frame++;
    if (!this.analyser || this.frame % 2 === 1) return this.value;
    this.analyser.getByteTimeDomainData(this.buf);
    let sum = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const v = ((this.buf[i] ?? 128) - 128) / 128;
      sum += v * v;
    }
    const rms = Math.sqrt(sum / Math.max(1, this.buf.length));
    this.value = rmsToMouth(rms, this.value);
    return this.value;
  }
}
