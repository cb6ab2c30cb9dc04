package audio_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/cmplx"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"neko/backend/testutil"
)

// soxRate runs `sox ... rate -v` (libsoxr's very-high-quality recipe) on
// interleaved float32 audio and returns its output.
func soxRate(tb testing.TB, inRate, outRate, ch int, x []float32) []float32 {
	tb.Helper()
	testutil.RequireTool(tb, "sox")
	var in bytes.Buffer
	if err := binary.Write(&in, binary.LittleEndian, x); err != nil {
		tb.Fatal(err)
	}
	raw := func(rate int) []string {
		return []string{"-t", "raw", "-e", "floating-point", "-b", "32", "-r", strconv.Itoa(rate), "-c", strconv.Itoa(ch), "-"}
	}
	args := append([]string{"-D", "-V1"}, raw(inRate)...)
	args = append(args, raw(outRate)...)
	args = append(args, "rate", "-v")
	cmd := exec.Command("sox", args...)
	cmd.Stdin = &in
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("sox: %v: %s", err, errb.String())
	}
	y := make([]float32, len(out)/4)
	if err := binary.Read(bytes.NewReader(out), binary.LittleEndian, y); err != nil {
		tb.Fatal(err)
	}
	return y
}

func sine(n, rate int, freq, amp float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return x
}

// chirp sweeps linearly from f0 to f1 over n samples.
func chirp(n, rate int, f0, f1, amp float64) []float32 {
	x := make([]float32, n)
	dur := float64(n) / float64(rate)
	for i := range x {
		t := float64(i) / float64(rate)
		x[i] = float32(amp * math.Sin(2*math.Pi*(f0*t+(f1-f0)*t*t/(2*dur))))
	}
	return x
}

// noise is deterministic white noise (xorshift) of the given RMS.
func noise(n int, rms float64, seed uint64) []float32 {
	x := make([]float32, n)
	s := seed | 1
	for i := range x {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		u := float64(s>>11) / (1 << 53) // [0,1)
		x[i] = float32((2*u - 1) * rms * math.Sqrt(3))
	}
	return x
}

// fft is an in-place radix-2 complex FFT (len a power of two).
func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	tw := make([]complex128, n/2)
	for k := range tw {
		tw[k] = cmplx.Exp(complex(0, -2*math.Pi*float64(k)/float64(n)))
	}
	for size := 2; size <= n; size <<= 1 {
		step := n / size
		for start := 0; start < n; start += size {
			for k := 0; k < size/2; k++ {
				u, v := a[start+k], a[start+k+size/2]*tw[k*step]
				a[start+k], a[start+k+size/2] = u+v, u-v
			}
		}
	}
}

const analysisN = 1 << 16

// spectrum returns the complex spectrum (bins 0..n/2) of x[start:start+n]
// under a Kaiser window (beta 20: sidelobes below -180 dB), computed in
// float64.
func spectrum(x []float32, start, n int) []complex128 {
	a := make([]complex128, n)
	w := analysisWindow(n)
	for i := range n {
		a[i] = complex(float64(x[start+i])*w[i], 0)
	}
	fft(a)
	return a[:n/2+1]
}

var windows sync.Map // n -> []float64

func analysisWindow(n int) []float64 {
	if w, ok := windows.Load(n); ok {
		return w.([]float64)
	}
	w := make([]float64, n)
	i0 := besselI0(20)
	for i := range n {
		r := 2*float64(i)/float64(n-1) - 1
		w[i] = besselI0(20*math.Sqrt(math.Max(0, 1-r*r))) / i0
	}
	windows.Store(n, w)
	return w
}

func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for k := 1; k < 500; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func power(s []complex128, from, to int) float64 {
	p := 0.0
	for k := max(from, 0); k < to && k < len(s); k++ {
		a := cmplx.Abs(s[k])
		p += a * a
	}
	return p
}

func db(r float64) float64 { return 10 * math.Log10(r+1e-300) }

func bin(freq float64, rate, n int) int { return int(math.Round(freq * float64(n) / float64(rate))) }

// toneWidth is the half width, in bins, attributed to a windowed tone.
const toneWidth = 12

// thdN is everything but the tone (and DC) relative to the tone, in dB.
func thdN(s []complex128, tone int) float64 {
	total := power(s, toneWidth, len(s))
	sig := power(s, tone-toneWidth, tone+toneWidth+1)
	return db((total - sig) / sig)
}

// deinterleave returns channel c of interleaved x.
func deinterleave(x []float32, ch, c int) []float32 {
	out := make([]float32, len(x)/ch)
	for i := range out {
		out[i] = x[i*ch+c]
	}
	return out
}

// correlation is Pearson's correlation coefficient of x and y[:len(x)].
func correlation(x, y []float32) float64 {
	var sx, sy, sxx, syy, sxy float64
	n := float64(len(x))
	for i := range x {
		a, b := float64(x[i]), float64(y[i])
		sx += a
		sy += b
		sxx += a * a
		syy += b * b
		sxy += a * b
	}
	return (sxy - sx*sy/n) / math.Sqrt((sxx-sx*sx/n)*(syy-sy*sy/n))
}
