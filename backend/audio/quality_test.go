package audio_test

import (
	"fmt"
	"math"
	"testing"

	"neko/backend/audio"
)

// qualityCase is one signal through one conversion.
type qualityCase struct {
	in, out int
	name    string
	tone    float64 // Hz; 0 for broadband signals
	gen     func(n, rate int) []float32
	// noSox skips the sox comparison: above 0.6 of Nyquist sox's own
	// polyphase coefficient interpolation droops (22050/44100->48000:
	// -0.0026 dB at 0.9 of Nyquist), so there the exact sine is the reference.
	noSox bool
}

// qualityResult holds the figures of point 2 of the audio issue, in dB.
type qualityResult struct {
	thdN     float64 // float path, tones only
	image    float64 // energy above the input Nyquist (upsampling) relative to the signal
	residual float64 // in-band difference from sox rate -v relative to sox's in-band energy
	ideal    float64 // tones only: difference from the exact sine at the output rate
	lenOurs  int
	lenSox   int
}

func toneGen(freq float64) func(n, rate int) []float32 {
	return func(n, rate int) []float32 { return sine(n, rate, freq, 0.5) }
}

func measureQuality(tb testing.TB, qc qualityCase) qualityResult {
	tb.Helper()
	skip := qc.out / 4 // skip the start transient
	nOut := skip + analysisN + qc.out/8
	nIn := int(int64(nOut)*int64(qc.in)/int64(qc.out)) + 1
	x := qc.gen(nIn, qc.in)
	r, err := audio.NewResampler(qc.in, qc.out, 1)
	if err != nil {
		tb.Fatal(err)
	}
	y := r.Process(nil, x)
	y = r.Flush(y)
	ref := soxRate(tb, qc.in, qc.out, 1, x)
	res := qualityResult{lenOurs: len(y), lenSox: len(ref)}
	if len(y) < skip+analysisN || len(ref) < skip+analysisN {
		tb.Fatalf("%s %d->%d: output too short: ours %d, sox %d", qc.name, qc.in, qc.out, len(y), len(ref))
	}
	sy := spectrum(y, skip, analysisN)
	diff := make([]float32, analysisN)
	for i := range diff {
		diff[i] = y[skip+i] - ref[skip+i]
	}
	sd := spectrum(diff, 0, analysisN)
	sr := spectrum(ref, skip, analysisN)
	nyqLow := 0.5 * math.Min(float64(qc.in), float64(qc.out))
	// The sox comparison covers 0..0.6 of the lower Nyquist (see noSox) or
	// up to the tone.
	band := bin(residualBand*nyqLow, qc.out, analysisN)
	if qc.tone > 0 {
		band = max(band, bin(qc.tone, qc.out, analysisN)+toneWidth+1)
	}
	res.residual = db(power(sd, 1, band) / power(sr, 1, band))
	if qc.noSox {
		res.residual = math.Inf(-1)
	}
	total := power(sy, 1, len(sy))
	if qc.out > qc.in {
		res.image = db(power(sy, bin(float64(qc.in)/2, qc.out, analysisN)+toneWidth, len(sy)) / total)
	} else {
		res.image = math.Inf(-1)
	}
	if qc.tone > 0 {
		res.thdN = thdN(sy, bin(qc.tone, qc.out, analysisN))
		var e, s float64
		for i := skip; i < skip+analysisN; i++ {
			want := 0.5 * math.Sin(2*math.Pi*qc.tone*float64(i)/float64(qc.out))
			d := float64(y[i]) - want
			e += d * d
			s += want * want
		}
		res.ideal = db(e / s)
	}
	return res
}

const residualBand = 0.6

// Targets from the audio issue (float path).
const (
	maxTHDN     = -130.0
	maxImage    = -135.0
	maxResidual = -120.0
)

var qualityRatios = [][2]int{{24000, 48000}, {22050, 48000}, {32000, 48000}, {16000, 48000}, {44100, 48000}, {48000, 16000}}

func qualityCases() []qualityCase {
	var cs []qualityCase
	for _, rr := range qualityRatios {
		in, out := rr[0], rr[1]
		nyqLow := 0.5 * math.Min(float64(in), float64(out))
		hi := 10000.0 // the 10 kHz tone where it is inside the passband
		if hi > 0.85*nyqLow {
			hi = math.Round(residualBand * nyqLow)
		}
		edge := math.Round(0.9 * nyqLow)
		cs = append(cs,
			qualityCase{in: in, out: out, name: "sine 1 kHz", tone: 1000, gen: toneGen(1000)},
			qualityCase{in: in, out: out, name: fmt.Sprintf("sine %.0f Hz", hi), tone: hi, gen: toneGen(hi)},
			qualityCase{in: in, out: out, name: "sine 0.9 Nyquist", tone: edge, gen: toneGen(edge), noSox: true},
			qualityCase{in: in, out: out, name: "white noise", gen: func(n, _ int) []float32 { return noise(n, 0.25, 7) }},
			qualityCase{in: in, out: out, name: "chirp", gen: func(n, rate int) []float32 { return chirp(n, rate, 20, 0.9*nyqLow, 0.5) }},
		)
	}
	return cs
}

func TestResamplerQualityAgainstSox(t *testing.T) {
	for _, qc := range qualityCases() {
		t.Run(fmt.Sprintf("%d-%d/%s", qc.in, qc.out, qc.name), func(t *testing.T) {
			t.Parallel()
			res := measureQuality(t, qc)
			t.Logf("THD+N %.1f dB, image %.1f dB, residual vs sox %.1f dB, vs exact %.1f dB, len ours %d sox %d",
				res.thdN, res.image, res.residual, res.ideal, res.lenOurs, res.lenSox)
			if res.lenOurs != res.lenSox {
				t.Errorf("output length %d, sox %d", res.lenOurs, res.lenSox)
			}
			if qc.tone > 0 && res.thdN > maxTHDN {
				t.Errorf("THD+N %.1f dB above %.0f dB", res.thdN, maxTHDN)
			}
			if qc.tone > 0 && res.ideal > maxResidual {
				t.Errorf("difference from the exact sine %.1f dB above %.0f dB", res.ideal, maxResidual)
			}
			if res.image > maxImage {
				t.Errorf("image energy %.1f dB above %.0f dB", res.image, maxImage)
			}
			if res.residual > maxResidual {
				t.Errorf("residual vs sox %.1f dB above %.0f dB", res.residual, maxResidual)
			}
		})
	}
}
