package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// ICO builds a Windows icon with one entry per size: classic 32-bit DIBs
// (with the AND mask) below 256 px, where old loaders and NSIS expect them,
// and PNG for 256 px.
func ICO(sizes []int) ([]byte, error) {
	var images [][]byte
	for _, s := range sizes {
		var data []byte
		if s >= 256 {
			p, err := pngBytes(s)
			if err != nil {
				return nil, err
			}
			data = p
		} else {
			data = dib(s)
		}
		images = append(images, data)
	}
	var buf bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { _ = binary.Write(&buf, le, v) }
	w(uint16(0))          // reserved
	w(uint16(1))          // type: icon
	w(uint16(len(sizes))) // count
	offset := 6 + 16*len(sizes)
	for i, s := range sizes {
		dim := uint8(s)
		if s >= 256 {
			dim = 0 // 0 means 256
		}
		buf.WriteByte(dim)
		buf.WriteByte(dim)
		buf.WriteByte(0) // palette
		buf.WriteByte(0) // reserved
		w(uint16(1))     // planes
		w(uint16(32))    // bits per pixel
		w(uint32(len(images[i])))
		w(uint32(offset))
		offset += len(images[i])
	}
	for _, im := range images {
		buf.Write(im)
	}
	return buf.Bytes(), nil
}

// dib is a BITMAPINFOHEADER + bottom-up BGRA pixels + 1-bit AND mask.
func dib(s int) []byte {
	img := Render(s)
	var buf bytes.Buffer
	le := binary.LittleEndian
	w := func(v any) { _ = binary.Write(&buf, le, v) }
	w(uint32(40))
	w(int32(s))
	w(int32(2 * s)) // XOR + AND bitmaps
	w(uint16(1))
	w(uint16(32))
	w(uint32(0)) // BI_RGB
	w(uint32(s * s * 4))
	w(int32(0))
	w(int32(0))
	w(uint32(0))
	w(uint32(0))
	for y := s - 1; y >= 0; y-- {
		for x := 0; x < s; x++ {
			c := img.NRGBAAt(x, y)
			buf.Write([]byte{c.B, c.G, c.R, c.A})
		}
	}
	rowBytes := ((s + 31) / 32) * 4
	for y := s - 1; y >= 0; y-- {
		row := make([]byte, rowBytes)
		for x := 0; x < s; x++ {
			if img.NRGBAAt(x, y).A == 0 {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		buf.Write(row)
	}
	return buf.Bytes()
}

// ICNS builds an Apple icon family from PNG entries (ic07–ic10 plus the
// @2x types), the format macOS reads for .app and .dmg icons.
func ICNS() ([]byte, error) {
	entries := []struct {
		typ  string
		size int
	}{{"ic07", 128}, {"ic08", 256}, {"ic09", 512}, {"ic10", 1024}, {"ic11", 32}, {"ic12", 64}, {"ic13", 256}, {"ic14", 512}}
	var body bytes.Buffer
	for _, e := range entries {
		p, err := pngBytes(e.size)
		if err != nil {
			return nil, fmt.Errorf("icns %s: %w", e.typ, err)
		}
		body.WriteString(e.typ)
		_ = binary.Write(&body, binary.BigEndian, uint32(8+len(p)))
		body.Write(p)
	}
	var out bytes.Buffer
	out.WriteString("icns")
	_ = binary.Write(&out, binary.BigEndian, uint32(8+body.Len()))
	out.Write(body.Bytes())
	return out.Bytes(), nil
}
