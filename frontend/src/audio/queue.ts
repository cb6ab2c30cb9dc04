// Package audio/queue: the pure logic of assistant playback — which frames to drop after a barge-in
// (reference §5.5: speech ids and epochs) and when to start each chunk so they play back to back.
// WebAudio glue lives in player.ts; this file has no browser dependency so it is unit-tested.

/** SpeechGate decides whether an audio frame of a speech id may still play. */
export class SpeechGate {
  private readonly interrupted: string[] = [];
  private readonly maxRemembered: number;
  private epochValue = 0;
  private current: string | null = null;

  constructor(maxRemembered = 32) {
    this.maxRemembered = maxRemembered;
  }

  /** epoch increases at every interruption; chunks scheduled in an older epoch are stale. */
  get epoch(): number {
    return this.epochValue;
  }

  /** currentSpeech is the speech id of the last accepted frame. */
  get currentSpeech(): string | null {
    return this.current;
  }

  /**
   * interrupt marks a speech id as interrupted (user_activity). Returns true when it is the speech
   * currently playing, i.e. when the caller must stop what is already scheduled.
   */
  interrupt(speechId: string | null | undefined): boolean {
    this.epochValue++;
    const id = speechId ?? '';
    if (id && !this.interrupted.includes(id)) {
      this.interrupted.push(id);
      if (this.interrupted.length > this.maxRemembered) this.interrupted.shift();
    }
    const wasCurrent = this.current !== null && (id === '' || id === this.current);
    if (wasCurrent) this.current = null;
    return wasCurrent || id === '';
  }

  /** accept reports whether a frame of speechId may play, remembering it as the current speech. */
  accept(speechId: string): boolean {
    if (speechId && this.interrupted.includes(speechId)) return false;
    this.current = speechId;
    return true;
  }

  isInterrupted(speechId: string): boolean {
    return this.interrupted.includes(speechId);
  }
}

/** PlaybackClock places chunks back to back on the audio clock. */
export class PlaybackClock {
  private next = 0;
  private readonly lead: number;

  /** lead is the safety margin (s) before the first chunk after a gap. */
  constructor(lead = 0.05) {
    this.lead = lead;
  }

  /** schedule returns the start time of a chunk of `duration` seconds given the clock's `now`. */
  schedule(now: number, duration: number): number {
    const start = Math.max(now + (this.next > now ? 0 : this.lead), this.next);
    this.next = start + duration;
    return start;
  }

  /** endTime is when the last scheduled chunk ends. */
  get endTime(): number {
    return this.next;
  }

  /** busy reports whether audio is scheduled past now. */
  busy(now: number): boolean {
    return this.next > now;
  }

  reset(): void {
    this.next = 0;
  }
}

/** isOgg reports whether bytes start with the OGG page magic "OggS". */
export function isOgg(buf: ArrayBuffer): boolean {
  if (buf.byteLength < 4) return false;
  const b = new Uint8Array(buf, 0, 4);
  return b[0] === 0x4f && b[1] === 0x67 && b[2] === 0x67 && b[3] === 0x53;
}

/** pcm16ToFloat32 converts PCM s16le mono to floats in [-1, 1). A trailing odd byte is ignored. */
export function pcm16ToFloat32(buf: ArrayBuffer): Float32Array<ArrayBuffer> {
  const n = buf.byteLength >> 1;
  const view = new DataView(buf, 0, n * 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}

/** floatToPcm16 converts floats to PCM s16le (clamped), as the mic worklet sends them. */
export function floatToPcm16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i] ?? 0));
    out[i] = s < 0 ? Math.round(s * 32768) : Math.round(s * 32767);
  }
  return out;
}

/** rmsToMouth maps an RMS level to a mouth opening, smoothed with the previous value (§5.5). */
export function rmsToMouth(rms: number, previous: number): number {
  const target = Math.min(1, Math.max(0, rms * 10));
  return (target + previous) / 2;
}
