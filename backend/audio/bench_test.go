package audio_test

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"neko/backend/audio"
	"neko/backend/testutil"
)

// soxSeconds runs sox converting x (mono float32) the same way the tests
// call it, five times, and returns the least CPU time (user+system) of a run:
// CPU time, like the figures of our own code, is not inflated by other
// processes sharing the machine.
func soxSeconds(b *testing.B, in, out int, x []float32) time.Duration {
	b.Helper()
	testutil.RequireTool(b, "sox")
	var raw bytes.Buffer
	if err := binary.Write(&raw, binary.LittleEndian, x); err != nil {
		b.Fatal(err)
	}
	args := []string{"-D", "-V1", "-t", "raw", "-e", "floating-point", "-b", "32", "-r", strconv.Itoa(in), "-c", "1", "-",
		"-t", "raw", "-e", "floating-point", "-b", "32", "-r", strconv.Itoa(out), "-c", "1", "-", "rate", "-v"}
	best := time.Duration(1 << 62)
	for range 5 {
		cmd := exec.Command("sox", args...)
		cmd.Stdin = bytes.NewReader(raw.Bytes())
		if err := cmd.Run(); err != nil {
			b.Fatal(err)
		}
		best = min(best, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
	}
	return best
}

func benchResample(b *testing.B, in, out, ch int) {
	x := chirp(in, in, 20, 0.45*float64(in), 0.5) // 1 s
	if ch == 2 {
		x = stereoSignal(in, in)
	}
	r := mustResampler(b, in, out, ch)
	dst := make([]float32, 0, 2*len(x)*out/in+64)
	chunk := in / 50 * ch // 20 ms chunks, like provider deltas
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for b.Loop() {
		r.Reset()
		for off := 0; off < len(x); off += chunk {
			dst = r.Process(dst[:0], x[off:min(len(x), off+chunk)])
		}
	}
	cpu := processCPU() - cpu0
	b.StopTimer()
	// CPU seconds per second of audio (single goroutine, no allocations:
	// the process CPU time is this loop's).
	perSec := cpu.Seconds() / float64(b.N)
	b.ReportMetric(1/perSec, "x_realtime")
	if ch == 1 {
		// sox on the same 1 s signal in the same run (process start
		// included), and on 60 s to show its steady throughput; CPU time.
		s1 := soxSeconds(b, in, out, x)
		long := make([]float32, 0, 60*len(x))
		for range 60 {
			long = append(long, x...)
		}
		s60 := soxSeconds(b, in, out, long)
		b.ReportMetric(1/s1.Seconds(), "sox_1s_x_realtime")
		b.ReportMetric(60/s60.Seconds(), "sox_60s_x_realtime")
		b.ReportMetric(s60.Seconds()/60/perSec, "speedup_vs_sox_60s")
	}
}

func BenchmarkResample24kTo48kMono(b *testing.B)   { benchResample(b, 24000, 48000, 1) }
func BenchmarkResample24kTo48kStereo(b *testing.B) { benchResample(b, 24000, 48000, 2) }
func BenchmarkResample22050To48kMono(b *testing.B) { benchResample(b, 22050, 48000, 1) }
func BenchmarkResample44100To48kMono(b *testing.B) { benchResample(b, 44100, 48000, 1) }
func BenchmarkResample48kTo16kMono(b *testing.B)   { benchResample(b, 48000, 16000, 1) }

// BenchmarkResampleInt16 is the int16 entry point, 24 kHz -> 48 kHz mono.
func BenchmarkResampleInt16(b *testing.B) {
	x := audio.Float32ToInt16(nil, chirp(24000, 24000, 20, 11000, 0.5))
	r := mustResampler(b, 24000, 48000, 1)
	dst := make([]int16, 0, 2*len(x)+64)
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		r.Reset()
		for off := 0; off < len(x); off += 480 {
			dst = r.ProcessInt16(dst[:0], x[off:min(len(x), off+480)])
		}
	}
	b.ReportMetric(float64(b.N)/(processCPU()-cpu0).Seconds(), "x_realtime")
}

// BenchmarkResampleQuality reports the quality figures of the 24 kHz ->
// 48 kHz conversion (dB; lower is better) measured against sox rate -v.
func BenchmarkResampleQuality(b *testing.B) {
	var r1, r10, rn, rc qualityResult
	for b.Loop() {
		r1 = measureQuality(b, qualityCase{in: 24000, out: 48000, name: "1k", tone: 1000, gen: toneGen(1000)})
		r10 = measureQuality(b, qualityCase{in: 24000, out: 48000, name: "10k", tone: 10000, gen: toneGen(10000)})
		rn = measureQuality(b, qualityCase{in: 24000, out: 48000, name: "noise", gen: func(n, _ int) []float32 { return noise(n, 0.25, 7) }})
		rc = measureQuality(b, qualityCase{in: 24000, out: 48000, name: "chirp", gen: func(n, rate int) []float32 { return chirp(n, rate, 20, 10800, 0.5) }})
	}
	b.ReportMetric(r1.thdN, "thdn_1k_dB")
	b.ReportMetric(r10.thdN, "thdn_10k_dB")
	b.ReportMetric(max(r1.image, r10.image, rn.image, rc.image), "image_max_dB")
	b.ReportMetric(max(r1.residual, r10.residual, rn.residual, rc.residual), "residual_vs_sox_max_dB")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkNewResampler is the filter design cost (create once, Reset per turn).
func BenchmarkNewResampler(b *testing.B) {
	for _, rr := range [][2]int{{24000, 48000}, {22050, 48000}, {44100, 48000}} {
		b.Run(strconv.Itoa(rr[0]), func(b *testing.B) {
			for b.Loop() {
				if _, err := audio.NewResampler(rr[0], rr[1], 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
