//go:build !amd64 || purego

package audio

// dot returns the inner product of a and b (same length, a multiple of 8).
func dot(a, b []float32) float32 { return dotScalar(a, b) }

// dot2 returns (s·a, s·b), each bit-identical to dot.
func dot2(s, a, b []float32) (float32, float32) { return dotScalar(s, a), dotScalar(s, b) }
