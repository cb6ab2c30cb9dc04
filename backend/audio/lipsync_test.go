package audio_test

import (
	"slices"
	"testing"

	"neko/backend/audio"
)

func TestEnvelopeIsChunkInvariantAndMapsLevels(t *testing.T) {
	x := append(sine(4800, 48000, 200, 0.5), make([]float32, 4800)...) // 100 ms loud, 100 ms silent
	x = append(x, sine(4800, 48000, 200, 0.003)...)                    // 100 ms at -53 dBFS
	e := audio.NewEnvelope(48000)
	whole := e.Append(nil, x)
	if len(whole) != 15 {
		t.Fatalf("%d values for 300 ms, want 15", len(whole))
	}
	e2 := audio.NewEnvelope(48000)
	var parts []float32
	for off := 0; off < len(x); off += 333 {
		parts = e2.Append(parts, x[off:min(len(x), off+333)])
	}
	if !slices.Equal(parts, whole) {
		t.Fatal("envelope depends on chunking")
	}
	for i, v := range whole {
		switch {
		case i < 5 && v < 0.9:
			t.Fatalf("loud frame %d: mouth %.2f", i, v)
		case i >= 5 && v != 0:
			t.Fatalf("quiet frame %d: mouth %.2f", i, v)
		}
	}
	if audio.MouthOpen(0) != 0 || audio.MouthOpen(1) != 1 {
		t.Fatal("MouthOpen range")
	}
	if m := audio.MouthOpen(0.01); m <= 0 || m >= 1 { // -40 dBFS: partly open
		t.Fatalf("MouthOpen(-40 dBFS) = %.2f", m)
	}
}

// BenchmarkMicPath is the desktop mic path per second of audio: JSON parse,
// VAD, AGC, limiter and 48 -> 16 kHz (upstream Python: 41.3 ms CPU per s
// with RNNoise).
func BenchmarkMicPath(b *testing.B) {
	m := mustMic(b, audio.MicConfig{})
	in := toneInt16(48000, 48000, 300, 0.1)
	frames := make([][]byte, 100)
	for i := range frames {
		frames[i] = jsonArray(in[i*480 : (i+1)*480])
	}
	out := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range frames {
			var err error
			if out, _, err = m.JSONFrame(out[:0], f); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "cpu_ms_per_audio_s")
}
