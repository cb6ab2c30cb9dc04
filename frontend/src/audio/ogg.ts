// Package audio/ogg: a streaming OGG demuxer for the server's OGG/Opus audio (CosyVoice sends
// page groups, one per audio_chunk). It returns whole Opus packets, carrying a packet that spans
// pages and bytes of a page split across chunks, and skips the OpusHead/OpusTags headers.

const MAGIC = [0x4f, 0x67, 0x67, 0x53];

export interface OpusHeader {
  channels: number;
  preSkip: number;
  inputRate: number;
}

function startsWith(b: Uint8Array, text: string): boolean {
  if (b.length < text.length) return false;
  for (let i = 0; i < text.length; i++) if (b[i] !== text.charCodeAt(i)) return false;
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class OggOpusDemuxer {
  private pending: Uint8Array = new Uint8Array(0);
  private partial: Uint8Array = new Uint8Array(0);
  header: OpusHeader | null = null;
  /** header pages of the current stream (OpusHead + OpusTags), kept for decoders that need them */
  headerPages: Uint8Array[] = [];
  private headerPackets = 0;

  reset(): void {
    this.pending = new Uint8Array(0);
    this.partial = new Uint8Array(0);
    this.header = null;
    this.headerPages = [];
    this.headerPackets = 0;
  }

  /** push feeds bytes and returns the complete audio packets they finish. Throws on a corrupt page. */
  push(bytes: Uint8Array): Uint8Array[] {
    let buf = concat(this.pending, bytes);
    const packets: Uint8Array[] = [];
    let off = 0;
    while (buf.length - off >= 27) {
      for (let k = 0; k < 4; k++) if (buf[off + k] !== MAGIC[k]) throw new Error('ogg: lost page sync');
      const nseg = buf[off + 26] ?? 0;
      if (buf.length - off < 27 + nseg) break;
      let bodyLen = 0;
      for (let i = 0; i < nseg; i++) bodyLen += buf[off + 27 + i] ?? 0;
      const pageLen = 27 + nseg + bodyLen;
      if (buf.length - off < pageLen) break;
      const headerType = buf[off + 5] ?? 0;
      if ((headerType & 0x02) !== 0) this.reset(); // beginning of a new logical stream
      const page = buf.subarray(off, off + pageLen);
      let p = off + 27 + nseg;
      let isHeaderPage = false;
      for (let i = 0; i < nseg; i++) {
        const len = buf[off + 27 + i] ?? 0;
        this.partial = concat(this.partial, buf.slice(p, p + len));
        p += len;
        if (len < 255) {
          const pkt = this.partial;
          this.partial = new Uint8Array(0);
          if (this.headerPackets < 2 && (startsWith(pkt, 'OpusHead') || startsWith(pkt, 'OpusTags'))) {
            if (startsWith(pkt, 'OpusHead') && pkt.length >= 19) {
              const dv = new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength);
              this.header = { channels: pkt[9] ?? 1, preSkip: dv.getUint16(10, true), inputRate: dv.getUint32(12, true) };
            }
            this.headerPackets++;
            isHeaderPage = true;
          } else if (pkt.length) packets.push(pkt);
        }
      }
      if (isHeaderPage) this.headerPages.push(page.slice());
      off += pageLen;
    }
    this.pending = buf.slice(off);
    buf = new Uint8Array(0);
    return packets;
  }
}
