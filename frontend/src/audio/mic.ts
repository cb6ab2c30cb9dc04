// Package audio/mic: microphone capture through an AudioWorklet at 48 kHz. Each 10 ms frame
// (480 samples PCM s16le) is handed to onFrame unless muted.

import { dbToLinear } from './micsettings';

export interface MicOptions {
  deviceId?: string;
  /** gain in dB applied before the worklet */
  gainDb?: number;
  onFrame: (frame: ArrayBuffer) => void;
  workletUrl?: string;
}

export class MicCapture {
  private ctx: AudioContext | null = null;
  private stream: MediaStream | null = null;
  private node: AudioWorkletNode | null = null;
  private gainNode: GainNode | null = null;
  muted = false;
  framesSent = 0;
  /** deviceId of the microphone to use ('' = default); read at start() */
  deviceId: string;
  /** input gain in dB; read at start(), changed live with setGainDb */
  gainDb: number;
  private readonly opts: MicOptions;

  constructor(opts: MicOptions) {
    this.opts = opts;
    this.deviceId = opts.deviceId ?? '';
    this.gainDb = opts.gainDb ?? 0;
  }

  get running(): boolean {
    return this.ctx !== null;
  }

  async start(): Promise<void> {
    if (this.ctx) return;
    const constraints: MediaTrackConstraints = {
      channelCount: 1,
      echoCancellation: true,
      noiseSuppression: true,
      autoGainControl: true,
    };
    let stream: MediaStream;
    if (this.deviceId) {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: { ...constraints, deviceId: { exact: this.deviceId } } });
      } catch (err) {
        // the saved microphone is gone (unplugged): use the default one
        if ((err as { name?: string }).name !== 'OverconstrainedError' && (err as { name?: string }).name !== 'NotFoundError') throw err;
        stream = await navigator.mediaDevices.getUserMedia({ audio: constraints });
      }
    } else {
      stream = await navigator.mediaDevices.getUserMedia({ audio: constraints });
    }
    const ctx = new AudioContext({ sampleRate: 48000 });
    try {
      await ctx.audioWorklet.addModule(this.opts.workletUrl ?? '/static/audio-processor.js');
      const src = ctx.createMediaStreamSource(stream);
      const gain = ctx.createGain();
      gain.gain.value = dbToLinear(this.gainDb);
      const node = new AudioWorkletNode(ctx, 'neko-mic-processor');
      node.port.onmessage = (ev: MessageEvent<ArrayBuffer>) => {
        if (this.muted) return;
        this.framesSent++;
        this.opts.onFrame(ev.data);
      };
      src.connect(gain);
      gain.connect(node);
      this.ctx = ctx;
      this.stream = stream;
      this.node = node;
      this.gainNode = gain;
    } catch (err) {
      stream.getTracks().forEach((t) => t.stop());
      await ctx.close();
      throw err;
    }
  }

  setGainDb(db: number): void {
    this.gainDb = db;
    if (this.gainNode) this.gainNode.gain.value = dbToLinear(db);
  }

  /** gainValue is the linear gain in use (1 when not running). */
  get gainValue(): number {
    return this.gainNode?.gain.value ?? 1;
  }

  /** trackDeviceId is the device the running capture uses ('' when not running). */
  get trackDeviceId(): string {
    return this.stream?.getAudioTracks()[0]?.getSettings().deviceId ?? '';
  }

  async stop(): Promise<void> {
    this.node?.port.close();
    this.node?.disconnect();
    this.stream?.getTracks().forEach((t) => t.stop());
    const ctx = this.ctx;
    this.ctx = null;
    this.node = null;
    this.stream = null;
    this.gainNode = null;
    if (ctx) await ctx.close();
  }
}
