package audio

import "math"

// Int16ToFloat32 appends src scaled to [-1, 1) to dst and returns it.
func Int16ToFloat32(dst []float32, src []int16) []float32 {
	dst = grow(dst, len(src))
	out := dst[len(dst)-len(src):]
	for i, v := range src {
		out[i] = float32(v) * (1.0 / 32768)
	}
	return dst
}

// Float32ToInt16 appends src scaled by 32768, rounded to nearest and clipped
// to the int16 range, to dst and returns it. NaN becomes 0.
func Float32ToInt16(dst []int16, src []float32) []int16 {
	n := len(dst)
	if cap(dst)-n < len(src) {
		nd := make([]int16, n, n+len(src))
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:n+len(src)]
	out := dst[n:]
	for i, v := range src {
		x := float64(v) * 32768
		switch {
		case x >= 32767:
			out[i] = 32767
		case x <= -32768:
			out[i] = -32768
		case x != x: // NaN
			out[i] = 0
		default:
			out[i] = int16(math.RoundToEven(x))
		}
	}
	return dst
}

// BytesToInt16LE appends the little-endian 16-bit samples in b to dst. A
// trailing odd byte is ignored.
func BytesToInt16LE(dst []int16, b []byte) []int16 {
	n := len(b) / 2
	dst = growInt16(dst, n)
	out := dst[len(dst)-n:]
	for i := range out {
		out[i] = int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8)
	}
	return dst
}

// Int16ToBytesLE appends s as little-endian 16-bit samples to dst.
func Int16ToBytesLE(dst []byte, s []int16) []byte {
	n := len(dst)
	if cap(dst)-n < 2*len(s) {
		nd := make([]byte, n, n+2*len(s))
		copy(nd, dst)
		dst = nd
	}
	dst = dst[:n+2*len(s)]
	out := dst[n:]
	for i, v := range s {
		out[2*i] = byte(v)
		out[2*i+1] = byte(uint16(v) >> 8)
	}
	return dst
}

func grow(dst []float32, n int) []float32 {
	l := len(dst)
	if cap(dst)-l < n {
		nd := make([]float32, l, l+n+l/2)
		copy(nd, dst)
		dst = nd
	}
	return dst[:l+n]
}

func growInt16(dst []int16, n int) []int16 {
	l := len(dst)
	if cap(dst)-l < n {
		nd := make([]int16, l, l+n+l/2)
		copy(nd, dst)
		dst = nd
	}
	return dst[:l+n]
}
