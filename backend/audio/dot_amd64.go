//go:build amd64 && !purego

package audio

import "golang.org/x/sys/cpu"

//go:noescape
func dotFMA(a, b []float32) float32

//go:noescape
func dot2FMA(s, a, b []float32) (ra, rb float32)

// hasFMA is a read-only CPU feature flag, fixed at start-up.
var hasFMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// dot returns the inner product of a and b (same length, a multiple of 8),
// with AVX2+FMA when the CPU has it.
func dot(a, b []float32) float32 {
	if hasFMA {
		return dotFMA(a, b[:len(a)])
	}
	return dotScalar(a, b)
}

// dot2 returns (s·a, s·b), each bit-identical to dot: one shared operand is
// loaded once for two products.
func dot2(s, a, b []float32) (float32, float32) {
	if hasFMA {
		return dot2FMA(s, a[:len(s)], b[:len(s)])
	}
	return dotScalar(s, a), dotScalar(s, b)
}
