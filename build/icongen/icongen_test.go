package main

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"testing"
)

func TestRenderShape(t *testing.T) {
	img := Render(64)
	if a := img.NRGBAAt(0, 0).A; a != 0 {
		t.Errorf("corner alpha = %d, want transparent (rounded square)", a)
	}
	if c := img.NRGBAAt(32, 40); c.A != 255 || c.R < 0xF0 {
		t.Errorf("face centre = %+v, want opaque cream", c)
	}
	if c := img.NRGBAAt(24, 36); c.R > 0x80 {
		t.Errorf("left eye = %+v, want dark", c)
	}
}

func TestICO(t *testing.T) {
	data, err := ICO([]int{16, 32, 256})
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if le.Uint16(data[0:]) != 0 || le.Uint16(data[2:]) != 1 || le.Uint16(data[4:]) != 3 {
		t.Fatalf("bad ICONDIR % x", data[:6])
	}
	for i, want := range []int{16, 32, 256} {
		e := data[6+16*i:]
		w := int(e[0])
		if w == 0 {
			w = 256
		}
		size, off := le.Uint32(e[8:]), le.Uint32(e[12:])
		if w != want || int(off+size) > len(data) {
			t.Fatalf("entry %d: width %d size %d offset %d (file %d)", i, w, size, off, len(data))
		}
		img := data[off : off+size]
		if want == 256 {
			if _, err := png.Decode(bytes.NewReader(img)); err != nil {
				t.Fatalf("256 px entry is not a PNG: %v", err)
			}
			continue
		}
		if le.Uint32(img) != 40 || int(int32(le.Uint32(img[8:]))) != 2*want {
			t.Fatalf("entry %d: bad BITMAPINFOHEADER", i)
		}
		if wantLen := 40 + want*want*4 + want*((want+31)/32)*4; len(img) != wantLen {
			t.Fatalf("entry %d: %d bytes, want %d", i, len(img), wantLen)
		}
	}
}
