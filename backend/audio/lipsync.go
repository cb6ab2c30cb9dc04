package audio

import (
	"math"
	"time"
)

// EnvelopeInterval is the lip-sync frame: one mouth value per 20 ms.
const EnvelopeInterval = 20 * time.Millisecond

// LipSync is one mouth-open value for the avatar, stamped with the position
// in the utterance that the local player is playing. It is sent to clients
// as {"type":"lipsync","speech_id":…,"mouth":…,"position_ms":…}.
type LipSync struct {
	SpeechID   string  `json:"speech_id"`
	Mouth      float32 `json:"mouth"`
	PositionMs int64   `json:"position_ms"`
}

// Envelope turns PCM into mouth-open values: RMS over every 20 ms mapped
// from -50 dBFS (closed) to -12 dBFS (fully open). It is streaming: samples
// may arrive in any chunking.
type Envelope struct {
	frame int
	n     int
	sum   float64
}

// NewEnvelope makes an envelope follower for mono audio at rate.
func NewEnvelope(rate int) Envelope {
	return Envelope{frame: max(1, int(int64(rate)*int64(EnvelopeInterval)/int64(time.Second)))}
}

// Append consumes mono samples and appends one value per completed 20 ms
// frame to dst.
func (e *Envelope) Append(dst []float32, pcm []float32) []float32 {
	for _, v := range pcm {
		e.sum += float64(v) * float64(v)
		e.n++
		if e.n == e.frame {
			dst = append(dst, MouthOpen(math.Sqrt(e.sum/float64(e.n))))
			e.n, e.sum = 0, 0
		}
	}
	return dst
}

// MouthOpen maps an RMS level (full scale 1.0) to 0..1.
func MouthOpen(rms float64) float32 {
	if rms <= 0 {
		return 0
	}
	d := 20 * math.Log10(rms)
	v := (d + 50) / 38
	return float32(math.Max(0, math.Min(1, v)))
}
