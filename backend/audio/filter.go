package audio

import "math"

// Filter specification. It follows libsoxr's "HQ" recipe: the passband ends at
// 0.913 of the lower Nyquist frequency, the stopband starts at that Nyquist
// frequency, and the stopband is attenuated by designAttenuation (comfortably
// past soxr HQ's 125 dB so images stay below -135 dB).
const (
	passbandEnd       = 0.913
	stopbandBegin     = 1.0
	designAttenuation = 140.0 // dB
	tapAlign          = 8     // taps per phase are padded to a multiple of this (SIMD width)
)

// polyphase is a windowed-sinc low-pass prototype split into L phases.
// Output sample k of the resampler sits at input time k*M/L; with
// k*M = n*L + p it is the dot product of phases[p] with input samples
// n-half .. n-half+taps-1.
type polyphase struct {
	l, m   int       // interpolation and decimation factors (reduced)
	taps   int       // taps per phase (multiple of tapAlign)
	half   int       // input samples before the centre tap
	coeffs []float32 // l*taps, phase-major
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// besselI0 is the zeroth-order modified Bessel function of the first kind.
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

// kaiserBeta returns the Kaiser window parameter for a stopband attenuation in dB.
func kaiserBeta(att float64) float64 {
	switch {
	case att > 50:
		return 0.1102 * (att - 8.7)
	case att >= 21:
		return 0.5842*math.Pow(att-21, 0.4) + 0.07886*(att-21)
	default:
		return 0
	}
}

// designPolyphase builds the prototype for converting inRate to outRate.
func designPolyphase(inRate, outRate int) polyphase {
	g := gcd(inRate, outRate)
	l, m := outRate/g, inRate/g
	// Work in units of input samples: the prototype is sampled every 1/l
	// input samples. Frequencies below are in cycles per input sample.
	nyqLow := 0.5 * math.Min(1, float64(l)/float64(m))
	fp, fs := passbandEnd*nyqLow, stopbandBegin*nyqLow
	fc := (fp + fs) / 2
	dw := 2 * math.Pi * (fs - fp) // transition width, rad per input sample
	// Kaiser's estimate of the length, in input samples (one side).
	length := (designAttenuation - 7.95) / (2.285 * dw)
	hw := length / 2 // half width in input samples
	beta := kaiserBeta(designAttenuation)
	i0b := besselI0(beta)

	half := int(math.Ceil(hw)) + 1
	taps := 2*half + 2
	taps = (taps + tapAlign - 1) / tapAlign * tapAlign
	pp := polyphase{l: l, m: m, taps: taps, half: half, coeffs: make([]float32, l*taps)}
	row := make([]float64, taps)
	for p := 0; p <= l/2; p++ {
		sum := 0.0
		for j := 0; j < taps; j++ {
			// Input sample n-half+j sits at distance t from the output time
			// n + p/l.
			t := float64(half-j) + float64(p)/float64(l)
			v := 0.0
			if math.Abs(t) < hw {
				r := t / hw
				w := besselI0(beta*math.Sqrt(1-r*r)) / i0b
				v = 2 * fc * sinc(2*fc*t) * w
			}
			row[j] = v
			sum += v
		}
		// Unity DC gain for every phase keeps the passband flat and
		// avoids phase-dependent gain (which would show up as images).
		for j, v := range row {
			pp.coeffs[p*taps+j] = float32(v / sum)
		}
	}
	// The kernel is symmetric, so phase l-p is phase p reversed about
	// tap half+1/2: c[l-p][j] = c[p][2*half+1-j] (zero outside the row).
	for p := l/2 + 1; p < l; p++ {
		src := pp.coeffs[(l-p)*taps : (l-p+1)*taps]
		dst := pp.coeffs[p*taps : (p+1)*taps]
		for j := range dst {
			if k := 2*half + 1 - j; k >= 0 && k < taps {
				dst[j] = src[k]
			}
		}
	}
	return pp
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}
