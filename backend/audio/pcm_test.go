package audio_test

import (
	"slices"
	"testing"

	"neko/backend/audio"
)

func TestPCMHelpers(t *testing.T) {
	s := []int16{0, 1, -1, 32767, -32768, 1234, -4321}
	b := audio.Int16ToBytesLE([]byte{9}, s)
	if b[0] != 9 || len(b) != 1+2*len(s) || b[7] != 0xff || b[8] != 0x7f {
		t.Fatalf("Int16ToBytesLE: % x", b)
	}
	back := audio.BytesToInt16LE([]int16{5}, append(b[1:], 0xAA)) // odd byte ignored
	if !slices.Equal(back, append([]int16{5}, s...)) {
		t.Fatalf("BytesToInt16LE round trip: %v", back)
	}
	f := audio.Int16ToFloat32(nil, s)
	if f[3] != 32767.0/32768 || f[4] != -1 {
		t.Fatalf("Int16ToFloat32: %v", f)
	}
	if got := audio.Float32ToInt16(nil, f); !slices.Equal(got, s) {
		t.Fatalf("float round trip: %v", got)
	}
	nan := float32(0)
	nan /= nan
	clip := audio.Float32ToInt16(nil, []float32{1.5, -2, nan, 0.5 / 32768, 1.5 / 32768})
	if !slices.Equal(clip, []int16{32767, -32768, 0, 0, 2}) {
		t.Fatalf("clipping/rounding: %v", clip)
	}
}

func FuzzBytesToInt16LE(f *testing.F) {
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := audio.BytesToInt16LE(nil, b)
		if len(s) != len(b)/2 {
			t.Fatal("length")
		}
		if !slices.Equal(audio.Int16ToBytesLE(nil, s), b[:len(b)/2*2]) {
			t.Fatal("round trip")
		}
	})
}
