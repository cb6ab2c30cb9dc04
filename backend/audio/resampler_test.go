package audio_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"neko/backend/audio"
)

var allRatios = [][2]int{{24000, 48000}, {22050, 48000}, {32000, 48000}, {16000, 48000}, {44100, 48000}, {48000, 16000}, {48000, 24000}, {16000, 16000}}

func mustResampler(tb testing.TB, in, out, ch int) *audio.Resampler {
	tb.Helper()
	r, err := audio.NewResampler(in, out, ch)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

func stereoSignal(n, rate int) []float32 {
	l := chirp(n, rate, 50, 0.45*float64(rate), 0.5)
	r := noise(n, 0.2, 3)
	x := make([]float32, 2*n)
	for i := range n {
		x[2*i], x[2*i+1] = l[i], r[i]
	}
	return x
}

func TestResamplerChunkingInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, rr := range allRatios {
		for _, ch := range []int{1, 2} {
			n := rr[0]/3 + 17
			var x []float32
			if ch == 1 {
				x = chirp(n, rr[0], 50, 0.45*float64(rr[0]), 0.5)
			} else {
				x = stereoSignal(n, rr[0])
			}
			whole := mustResampler(t, rr[0], rr[1], ch)
			want := whole.Flush(whole.Process(nil, x))
			for trial := range 3 {
				r := mustResampler(t, rr[0], rr[1], ch)
				var got []float32
				for rest := x; len(rest) > 0; {
					// Chunks of 0..~10000 samples, often splitting frames.
					k := min(len(rest), rng.IntN(1+[]int{7, 300, 10000}[trial]))
					got = r.Process(got, rest[:k])
					rest = rest[k:]
				}
				got = r.Flush(got)
				if !slices.Equal(got, want) {
					t.Fatalf("%d->%d ch%d trial %d: chunked output differs (len %d vs %d)", rr[0], rr[1], ch, trial, len(got), len(want))
				}
			}
		}
	}
}

func TestResamplerStereoMatchesMono(t *testing.T) {
	for _, rr := range allRatios {
		x := stereoSignal(4000, rr[0])
		st := mustResampler(t, rr[0], rr[1], 2)
		y := st.Flush(st.Process(nil, x))
		for c := range 2 {
			m := mustResampler(t, rr[0], rr[1], 1)
			want := m.Flush(m.Process(nil, deinterleave(x, 2, c)))
			if got := deinterleave(y, 2, c); !slices.Equal(got, want) {
				t.Fatalf("%d->%d channel %d differs from the mono conversion", rr[0], rr[1], c)
			}
		}
	}
}

func TestResamplerLengthAndDelay(t *testing.T) {
	for _, rr := range allRatios {
		for _, n := range []int{0, 1, 2, 3, 7, 100, 101, 4097} {
			r := mustResampler(t, rr[0], rr[1], 1)
			x := make([]float32, n)
			if n > 0 {
				x[n/2] = 1
			}
			y := r.Flush(r.Process(nil, x))
			want := int((2*int64(n)*int64(rr[1]) + int64(rr[0])) / (2 * int64(rr[0])))
			if len(y) != want {
				t.Fatalf("%d->%d n=%d: %d output samples, want %d", rr[0], rr[1], n, len(y), want)
			}
		}
		// An impulse at input sample i peaks at output sample i*out/in
		// (the filter delay is compensated).
		if rr[0]%rr[1] != 0 && rr[1]%rr[0] != 0 {
			continue
		}
		r := mustResampler(t, rr[0], rr[1], 1)
		x := make([]float32, 6000)
		x[3000] = 1
		y := r.Flush(r.Process(nil, x))
		peak := 0
		for i := range y {
			if math.Abs(float64(y[i])) > math.Abs(float64(y[peak])) {
				peak = i
			}
		}
		if want := 3000 * rr[1] / rr[0]; peak != want {
			t.Fatalf("%d->%d: impulse peaks at %d, want %d", rr[0], rr[1], peak, want)
		}
	}
}

func TestResamplerResetStartsFresh(t *testing.T) {
	a := sine(5000, 24000, 440, 0.5)
	b := chirp(7000, 24000, 100, 11000, 0.5)
	fresh := mustResampler(t, 24000, 48000, 1)
	want := fresh.Flush(fresh.Process(nil, b))

	r := mustResampler(t, 24000, 48000, 1)
	r.Process(nil, a) // a turn that is interrupted: its tail is dropped
	r.Reset()
	got := r.Flush(r.Process(nil, b))
	if !slices.Equal(got, want) {
		t.Fatal("output after Reset differs from a fresh resampler")
	}
	// Flush also leaves it ready for a new stream.
	got = r.Flush(r.Process(nil, b))
	if !slices.Equal(got, want) {
		t.Fatal("output after Flush differs from a fresh resampler")
	}
}

func TestResamplerRejectsBadArguments(t *testing.T) {
	for _, c := range [][3]int{{0, 48000, 1}, {24000, -1, 1}, {24000, 48000, 0}, {24000, 48000, 9}, {1_000_000, 48000, 1}, {48000, 47999, 1}} {
		if _, err := audio.NewResampler(c[0], c[1], c[2]); err == nil {
			t.Errorf("NewResampler(%d, %d, %d) succeeded", c[0], c[1], c[2])
		}
	}
}

func TestResamplerRejectsAliases(t *testing.T) {
	// 48 kHz -> 16 kHz: a 12 kHz tone lies in the stopband.
	x := sine(96000, 48000, 12000, 0.5)
	r := mustResampler(t, 48000, 16000, 1)
	y := r.Flush(r.Process(nil, x))
	var e float64
	for _, v := range y[4000 : len(y)-4000] {
		e += float64(v) * float64(v)
	}
	rel := db(e / float64(len(y)-8000) / 0.125)
	t.Logf("12 kHz alias at 16 kHz: %.1f dB", rel)
	if rel > maxImage {
		t.Fatalf("alias %.1f dB above %.0f dB", rel, maxImage)
	}
}

func TestResamplerInt16PathAtTheFloor(t *testing.T) {
	// The int16 path adds only the final 16-bit rounding to the float path:
	// error power q^2/12 against a -6 dBFS sine is -92.1 dB. Integer ratios
	// do better (outputs that coincide with input samples round back exactly).
	floor := -(6.02*16 + 1.76 - 6.02)
	for _, rr := range qualityRatios {
		x := Int16Sine(rr[0]*2, rr[0], 1000, 0.5)
		r := mustResampler(t, rr[0], rr[1], 1)
		got := r.FlushInt16(r.ProcessInt16(nil, x))
		f := mustResampler(t, rr[0], rr[1], 1)
		ref := f.Flush(f.Process(nil, audio.Int16ToFloat32(nil, x)))
		if len(got) != len(ref) {
			t.Fatalf("int16 length %d, float %d", len(got), len(ref))
		}
		var e, s float64
		for i := len(ref) / 4; i < len(ref)*3/4; i++ {
			d := float64(got[i])/32768 - float64(ref[i])
			e += d * d
			s += float64(ref[i]) * float64(ref[i])
		}
		rel := db(e / s)
		t.Logf("%d->%d int16 error %.2f dB (16-bit floor %.2f dB)", rr[0], rr[1], rel, floor)
		if rel > floor+1 {
			t.Errorf("%d->%d: int16 error %.2f dB, more than 1 dB above the %.2f dB floor", rr[0], rr[1], rel, floor)
		}
	}
}

func Int16Sine(n, rate int, freq, amp float64) []int16 {
	return audio.Float32ToInt16(nil, sine(n, rate, freq, amp))
}

func TestResamplerSteadyStateDoesNotAllocate(t *testing.T) {
	for _, rr := range allRatios {
		r := mustResampler(t, rr[0], rr[1], 2)
		x := stereoSignal(rr[0]/50, rr[0]) // 20 ms chunks
		dst := make([]float32, 0, 4*len(x)*rr[1]/rr[0]+64)
		x16 := audio.Float32ToInt16(nil, x)
		d16 := make([]int16, 0, cap(dst))
		r.Process(dst, x)
		r.ProcessInt16(d16, x16)
		allocs := testing.AllocsPerRun(50, func() {
			r.Process(dst[:0], x)
			r.ProcessInt16(d16[:0], x16)
		})
		if allocs != 0 {
			t.Errorf("%d->%d: %.1f allocations per chunk", rr[0], rr[1], allocs)
		}
	}
}
