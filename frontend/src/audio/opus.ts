// Package audio/opus: decodes the server's streamed OGG/Opus audio chunk by chunk. It demuxes the
// OGG pages itself and decodes the Opus packets with WebCodecs' AudioDecoder; where WebCodecs is
// missing it falls back to decodeAudioData on the stream's header pages plus the chunk.

import { OggOpusDemuxer } from './ogg';

const RATE = 48000;

export type DecodeAudioData = (data: ArrayBuffer) => Promise<AudioBuffer>;

export class OpusStreamDecoder {
  private readonly demux = new OggOpusDemuxer();
  private decoder: AudioDecoder | null = null;
  private out: AudioData[] = [];
  private failure: Error | null = null;
  private timestamp = 0;
  private skip = 0;
  private readonly fallback: DecodeAudioData;

  constructor(fallback: DecodeAudioData) {
    this.fallback = fallback;
  }

  /** reset starts a new stream (a new speech after an interruption). */
  reset(): void {
    this.demux.reset();
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    for (const d of this.out) d.close();
    this.out = [];
    this.failure = null;
    this.timestamp = 0;
    this.skip = 0;
  }

  /** decode returns the mono samples (48 kHz) this chunk completes; empty when it held only headers. */
  async decode(bytes: Uint8Array): Promise<Float32Array> {
    const hadHeaders = this.demux.headerPages.length;
    const packets = this.demux.push(bytes);
    if (typeof AudioDecoder === 'undefined') return this.decodeFallback(bytes, hadHeaders);
    const header = this.demux.header;
    if (!header) return new Float32Array(0);
    if (!this.decoder) {
      this.decoder = new AudioDecoder({
        output: (d) => this.out.push(d),
        error: (e) => {
          this.failure = e instanceof Error ? e : new Error(String(e));
        },
      });
      this.decoder.configure({ codec: 'opus', sampleRate: RATE, numberOfChannels: header.channels });
      this.skip = header.preSkip;
    }
    for (const data of packets) {
      this.decoder.decode(new EncodedAudioChunk({ type: 'key', timestamp: this.timestamp, data }));
      this.timestamp += 20000;
    }
    if (packets.length) await this.decoder.flush();
    if (this.failure) throw this.failure;
    const chunks = this.out;
    this.out = [];
    let total = 0;
    const planes: Float32Array[] = [];
    for (const d of chunks) {
      const plane = new Float32Array(d.numberOfFrames);
      d.copyTo(plane, { planeIndex: 0, format: 'f32-planar' });
      d.close();
      planes.push(plane);
      total += plane.length;
    }
    const drop = Math.min(this.skip, total);
    this.skip -= drop;
    const samples = new Float32Array(total - drop);
    let o = -drop;
    for (const p of planes) {
      if (o >= 0) samples.set(p, o);
      else if (o + p.length > 0) samples.set(p.subarray(-o), 0);
      o += p.length;
    }
    return samples;
  }

  private async decodeFallback(bytes: Uint8Array, hadHeaders: number): Promise<Float32Array> {
    const headers = hadHeaders ? this.demux.headerPages : [];
    const size = headers.reduce((a, p) => a + p.length, 0) + bytes.length;
    const whole = new Uint8Array(size);
    let o = 0;
    for (const p of headers) {
      whole.set(p, o);
      o += p.length;
    }
    whole.set(bytes, o);
    try {
      const buf = await this.fallback(whole.buffer);
      return buf.getChannelData(0).slice();
    } catch {
      return new Float32Array(0); // a header-only chunk does not decode on its own
    }
  }
}
