package tts_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"neko/backend/tts"
)

func makeWAV(rate, channels int, samples []int16, dataSize uint32) []byte {
	b := []byte("RIFF\x00\x00\x00\x00WAVEfmt ")
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, 1)
	b = binary.LittleEndian.AppendUint16(b, uint16(channels))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate))
	b = binary.LittleEndian.AppendUint32(b, uint32(rate*channels*2))
	b = binary.LittleEndian.AppendUint16(b, uint16(channels*2))
	b = binary.LittleEndian.AppendUint16(b, 16)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, dataSize)
	for _, s := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(s))
	}
	return b
}

func TestParseWAV(t *testing.T) {
	s, rate, err := tts.ParseWAV(makeWAV(22050, 1, []int16{1, -2, 3}, 6))
	if err != nil || rate != 22050 || len(s) != 3 || s[1] != -2 {
		t.Fatalf("mono: %v %d %v", s, rate, err)
	}
	// Streaming writers leave the size at 0xFFFFFFFF.
	s, _, err = tts.ParseWAV(makeWAV(32000, 1, []int16{5, 6}, 0xFFFFFFFF))
	if err != nil || len(s) != 2 {
		t.Fatalf("streaming size: %v %v", s, err)
	}
	s, _, err = tts.ParseWAV(makeWAV(16000, 2, []int16{10, 20, -10, -30}, 8))
	if err != nil || len(s) != 2 || s[0] != 15 || s[1] != -20 {
		t.Fatalf("stereo: %v %v", s, err)
	}
	for _, bad := range [][]byte{nil, []byte("RIFF1234WAVX"), []byte("RIFF\x00\x00\x00\x00WAVEjunk\x04\x00\x00\x00")} {
		if _, _, err := tts.ParseWAV(bad); !errors.Is(err, tts.ErrNotWAV) {
			t.Errorf("ParseWAV(%q) err = %v", bad, err)
		}
	}
}

func FuzzParseWAV(f *testing.F) {
	f.Add(makeWAV(24000, 1, []int16{1, 2, 3}, 6))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, rate, err := tts.ParseWAV(b)
		if err == nil && (rate <= 0 || len(s) > len(b)) {
			t.Fatalf("rate %d, %d samples from %d bytes", rate, len(s), len(b))
		}
	})
}
