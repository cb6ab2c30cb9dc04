package audio

import (
	"math/rand/v2"
	"testing"
)

// The paired kernel must give exactly what the single one gives, or output
// would depend on how chunks pair outputs up.
func TestDot2MatchesDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{8, 16, 24, 32, 40, 216, 640} {
		s, a, b := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			s[i], a[i], b[i] = rng.Float32()-0.5, rng.Float32()-0.5, rng.Float32()-0.5
		}
		ra, rb := dot2(s, a, b)
		if ra != dot(s, a) || rb != dot(s, b) {
			t.Fatalf("n=%d: dot2 (%v, %v) != dot (%v, %v)", n, ra, rb, dot(s, a), dot(s, b))
		}
		if d := float64(dot(s, a)) - float64(dotScalar(s, a)); d > 1e-5 || d < -1e-5 {
			t.Fatalf("n=%d: SIMD and scalar kernels disagree by %g", n, d)
		}
	}
}
