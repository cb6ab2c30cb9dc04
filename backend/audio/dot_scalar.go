package audio

// dotScalar is the portable kernel: eight float64 partial sums (float64
// because without fused multiply-add float32 products lose ~3 dB of noise
// floor).
func dotScalar(a, b []float32) float32 {
	var s [8]float64
	b = b[:len(a)]
	for i := 0; i+8 <= len(a); i += 8 {
		s[0] += float64(a[i]) * float64(b[i])
		s[1] += float64(a[i+1]) * float64(b[i+1])
		s[2] += float64(a[i+2]) * float64(b[i+2])
		s[3] += float64(a[i+3]) * float64(b[i+3])
		s[4] += float64(a[i+4]) * float64(b[i+4])
		s[5] += float64(a[i+5]) * float64(b[i+5])
		s[6] += float64(a[i+6]) * float64(b[i+6])
		s[7] += float64(a[i+7]) * float64(b[i+7])
	}
	return float32(((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])))
}
