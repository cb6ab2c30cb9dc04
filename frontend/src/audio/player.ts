// Package audio/player: plays the assistant's audio_chunk frames through WebAudio, back to back,
// dropping the frames of an interrupted speech, and exposes an analyser for lip sync.

import type { AudioFrame } from '../services/ws';
import { OpusStreamDecoder } from './opus';
import { PlaybackClock, SpeechGate, isOgg, pcm16ToFloat32 } from './queue';

export const PLAYBACK_RATE = 48000;

export interface PlayerStats {
  received: number;
  scheduled: number;
  dropped: number;
  decodeErrors: number;
  stopped: number;
  lastStart: number;
  /** seconds of audio scheduled so far */
  seconds: number;
}

interface Playing {
  src: AudioBufferSourceNode;
  speechId: string;
  epoch: number;
}

export class AudioPlayer {
  readonly ctx: AudioContext;
  readonly analyser: AnalyserNode;
  private readonly gain: GainNode;
  private readonly gate = new SpeechGate();
  private readonly clock = new PlaybackClock();
  private playing: Playing[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly opus: OpusStreamDecoder;
  private opusSpeech: string | null = null;
  readonly stats: PlayerStats = { received: 0, scheduled: 0, dropped: 0, decodeErrors: 0, stopped: 0, lastStart: 0, seconds: 0 };

  constructor(ctx?: AudioContext) {
    this.ctx = ctx ?? new AudioContext({ sampleRate: PLAYBACK_RATE });
    this.analyser = this.ctx.createAnalyser();
    this.analyser.fftSize = 2048;
    this.gain = this.ctx.createGain();
    this.analyser.connect(this.gain);
    this.gain.connect(this.ctx.destination);
    this.opus = new OpusStreamDecoder((data) => this.ctx.decodeAudioData(data));
  }

  set volume(v: number) {
    this.gain.gain.value = Math.max(0, Math.min(2, v));
  }

  /** speaking reports whether assistant audio is playing or scheduled. */
  get speaking(): boolean {
    return this.clock.busy(this.ctx.currentTime);
  }

  /** resume must be called from a user gesture once (autoplay policy). */
  async resume(): Promise<void> {
    if (this.ctx.state === 'suspended') await this.ctx.resume();
  }

  /** push queues one frame; decoding is serialised so chunks keep their order. */
  push(frame: AudioFrame): Promise<void> {
    this.stats.received++;
    if (!this.gate.accept(frame.speechId)) {
      this.stats.dropped++;
      return this.chain;
    }
    const epoch = this.gate.epoch;
    this.chain = this.chain.then(() => this.decodeAndSchedule(frame, epoch)).catch(() => {
      this.stats.decodeErrors++;
    });
    return this.chain;
  }

  /** interrupt handles user_activity{interrupted_speech_id}: stop what plays and drop what comes. */
  interrupt(speechId: string | null | undefined): void {
    const stopAll = this.gate.interrupt(speechId);
    const keep: Playing[] = [];
    for (const p of this.playing) {
      if (stopAll || p.speechId === speechId) {
        try {
          p.src.stop();
        } catch {
          /* already ended */
        }
        p.src.disconnect();
        this.stats.stopped++;
      } else keep.push(p);
    }
    this.playing = keep;
    if (keep.length === 0) this.clock.reset();
  }

  /** stopAll silences everything (end of session). */
  stopAll(): void {
    this.interrupt('');
  }

  private async decodeAndSchedule(frame: AudioFrame, epoch: number): Promise<void> {
    let samples: Float32Array<ArrayBuffer>;
    if (isOgg(frame.data)) {
      // OGG/Opus is a stream per speech: a new speech id starts a new decoder.
      if (this.opusSpeech !== frame.speechId) {
        this.opus.reset();
        this.opusSpeech = frame.speechId;
      }
      samples = (await this.opus.decode(new Uint8Array(frame.data))) as Float32Array<ArrayBuffer>;
    } else {
      samples = pcm16ToFloat32(frame.data);
    }
    if (samples.length === 0) return;
    const buffer = this.ctx.createBuffer(1, samples.length, PLAYBACK_RATE);
    buffer.copyToChannel(samples, 0);
    // An interruption may have happened while decoding.
    if (epoch !== this.gate.epoch || this.gate.isInterrupted(frame.speechId)) {
      this.stats.dropped++;
      return;
    }
    const src = this.ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(this.analyser);
    const start = this.clock.schedule(this.ctx.currentTime, buffer.duration);
    const entry: Playing = { src, speechId: frame.speechId, epoch };
    src.onended = () => {
      this.playing = this.playing.filter((p) => p !== entry);
    };
    this.playing.push(entry);
    src.start(start);
    this.stats.scheduled++;
    this.stats.lastStart = start;
    this.stats.seconds += buffer.duration;
  }
}
