//go:build soxrbench && cgo

package audio_test

import (
	"testing"

	"neko/backend/audio/internal/soxrref"
)

// BenchmarkLibsoxr24kTo48kMono runs libsoxr (HQ) in-process on the same 1 s
// signal and chunking as BenchmarkResample24kTo48kMono:
//
//	go test -tags soxrbench -run '^$' -bench 'Resample24kTo48kMono|Libsoxr' ./backend/audio
func BenchmarkLibsoxr24kTo48kMono(b *testing.B) {
	x := chirp(24000, 24000, 20, 10800, 0.5)
	s, err := soxrref.New(24000, 48000)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	dst := make([]float32, 0, 4*len(x))
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		s.Clear()
		for off := 0; off < len(x); off += 480 {
			dst = s.Process(dst[:0], x[off:min(len(x), off+480)])
		}
	}
	b.ReportMetric(float64(b.N)/(processCPU()-cpu0).Seconds(), "x_realtime")
}
