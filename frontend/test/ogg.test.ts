import { describe, expect, it } from 'vitest';
import { OggOpusDemuxer } from '../src/audio/ogg';

/** page builds one OGG page from packets; `open` leaves the last packet unterminated (length % 255 == 0). */
function page(packets: Uint8Array[], opts: { bos?: boolean; open?: boolean } = {}): Uint8Array {
  const segs: number[] = [];
  packets.forEach((p, i) => {
    let n = p.length;
    while (n >= 255) {
      segs.push(255);
      n -= 255;
    }
    if (!(opts.open && i === packets.length - 1)) segs.push(n);
  });
  const bodyLen = packets.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(27 + segs.length + bodyLen);
  out.set([0x4f, 0x67, 0x67, 0x53], 0);
  out[5] = opts.bos ? 0x02 : 0;
  out[26] = segs.length;
  out.set(segs, 27);
  let o = 27 + segs.length;
  for (const p of packets) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
const head = () => {
  const h = new Uint8Array(19);
  h.set(new TextEncoder().encode('OpusHead'), 0);
  h[8] = 1;
  h[9] = 1;
  new DataView(h.buffer).setUint16(10, 312, true);
  new DataView(h.buffer).setUint32(12, 48000, true);
  return h;
};
const tags = () => new TextEncoder().encode('OpusTags\0\0\0\0\0\0\0\0');

describe('OggOpusDemuxer', () => {
  it('skips the headers, reads OpusHead and returns audio packets', () => {
    const d = new OggOpusDemuxer();
    const out = d.push(new Uint8Array([...page([head()], { bos: true }), ...page([tags()]), ...page([bytes(3, 1), bytes(300, 2)])]));
    expect(d.header).toEqual({ channels: 1, preSkip: 312, inputRate: 48000 });
    expect(d.headerPages).toHaveLength(2);
    expect(out.map((p) => [p.length, p[0]])).toEqual([[3, 1], [300, 2]]);
  });

  it('joins a packet that spans pages and a page split across chunks', () => {
    const d = new OggOpusDemuxer();
    d.push(new Uint8Array([...page([head()], { bos: true }), ...page([tags()])]));
    const p1 = page([bytes(510, 7)], { open: true });
    const p2 = page([bytes(20, 7), bytes(5, 9)]);
    const all = new Uint8Array([...p1, ...p2]);
    const a = d.push(all.subarray(0, 100));
    const b = d.push(all.subarray(100, 560));
    const c = d.push(all.subarray(560));
    expect(a).toEqual([]);
    expect([...b, ...c].map((p) => p.length)).toEqual([530, 5]);
  });

  it('resets on a new stream and refuses bytes that are not OGG', () => {
    const d = new OggOpusDemuxer();
    d.push(page([head()], { bos: true }));
    d.push(page([bytes(4, 1)]));
    d.push(page([head()], { bos: true }));
    expect(d.headerPages).toHaveLength(1);
    expect(() => new OggOpusDemuxer().push(new TextEncoder().encode('RIFF....WAVEfmt this is no ogg at all'))).toThrow(/page sync/);
  });
});
