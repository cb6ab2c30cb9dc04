package tts

import "math"

// CogTTS puts an audible watermark (short high beeps) at the start of each
// answer. trimBeeps finds it in the first chunk and cuts it, like the
// original: 10 ms frames over the first 1.2 s; a frame is a beep when it
// is loud and most of its energy is high (the first-difference energy
// ratio 4·sin²(πf/rate) is ≥ 0.27 above about 2 kHz, while voiced speech
// stays well below). Scanning stops at the first loud frame that is not a
// beep (speech has begun), so fricatives inside speech never count; with
// at least three beep frames the audio is cut 5 ms after the last one and
// faded in over 10 ms.
func trimBeeps(s []int16, rate int) []int16 {
	if rate <= 0 || len(s) == 0 {
		return s
	}
	frame := rate / 100
	scan := min(len(s), rate*12/10)
	hfLimit := 4 * math.Pow(math.Sin(math.Pi*2000/float64(rate)), 2)
	last, beeps := -1, 0
	for at := 0; at+frame <= scan; at += frame {
		var e, d float64
		prev := float64(s[at])
		for _, v := range s[at : at+frame] {
			x := float64(v)
			e += x * x
			d += (x - prev) * (x - prev)
			prev = x
		}
		rms := math.Sqrt(e / float64(frame))
		if rms <= 1000 {
			continue // quiet: a gap between beeps or before speech
		}
		if d/e < hfLimit {
			break // speech has begun
		}
		beeps++
		last = at + frame
	}
	if beeps < 3 {
		return s
	}
	cut := min(len(s), last+rate/200)
	out := s[cut:]
	fade := min(len(out), rate/100)
	for i := 0; i < fade; i++ {
		out[i] = int16(float64(out[i]) * float64(i) / float64(fade))
	}
	return out
}
