package audio

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Mic frame rates (reference §5.4): desktop clients send 480-sample frames
// at 48 kHz, mobile clients 512-sample frames already at 16 kHz.
const (
	DesktopFrameSamples = 480
	ProviderRate        = 16000
	maxMicFrameSamples  = 48000 // 1 s: larger frames are refused
)

// ErrMicFrame wraps every refused microphone frame.
var ErrMicFrame = errors.New("audio: bad microphone frame")

// MicConfig tunes the microphone path. The zero value uses the defaults.
type MicConfig struct {
	BinaryRate  int     // sample rate of binary PCM16 frames (default 48000)
	TargetDBFS  float64 // AGC target RMS level (default -20 dBFS)
	MaxGainDB   float64 // AGC gain range (default +24 dB)
	MinGainDB   float64 // (default -12 dB)
	DisableAGC  bool
	CeilingDBFS float64       // limiter ceiling (default -1 dBFS)
	VADMarginDB float64       // speech is this far above the noise floor (default 9 dB)
	VADMinDBFS  float64       // and above this absolute level (default -50 dBFS)
	Hangover    time.Duration // speech stays on this long after the last loud frame (default 300 ms)
}

func (c *MicConfig) defaults() {
	if c.BinaryRate == 0 {
		c.BinaryRate = 48000
	}
	if c.TargetDBFS == 0 {
		c.TargetDBFS = -20
	}
	if c.MaxGainDB == 0 {
		c.MaxGainDB = 24
	}
	if c.MinGainDB == 0 {
		c.MinGainDB = -12
	}
	if c.CeilingDBFS == 0 {
		c.CeilingDBFS = -1
	}
	if c.VADMarginDB == 0 {
		c.VADMarginDB = 9
	}
	if c.VADMinDBFS == 0 {
		c.VADMinDBFS = -50
	}
	if c.Hangover == 0 {
		c.Hangover = 300 * time.Millisecond
	}
}

// MicFrame describes one processed frame.
type MicFrame struct {
	InRate  int     // sample rate the frame arrived at
	Speech  bool    // energy VAD decision (with hangover)
	RMS     float64 // input RMS on the int16 scale (upstream's "RMS <= 500" silence rule)
	GainDB  float64 // AGC gain applied
	Samples int     // 16 kHz samples appended to the output
}

// Mic turns client microphone frames into 16 kHz PCM16 for the providers:
// energy VAD, AGC, a peak limiter, then resampling (48 kHz -> 16 kHz). One
// Mic per session; not safe for concurrent use.
type Mic struct {
	cfg      MicConfig
	rs       *Resampler
	rsRate   int
	samples  []int16
	buf      []float32
	out      []float32
	out16    []int16
	gain     float64 // linear AGC gain
	lim      float64 // limiter gain
	floorDB  float64 // VAD noise floor estimate
	speechMs float64 // hangover left
}

// NewMic makes a microphone processor.
func NewMic(cfg MicConfig) (*Mic, error) {
	cfg.defaults()
	if cfg.BinaryRate != 48000 && cfg.BinaryRate != ProviderRate {
		return nil, fmt.Errorf("audio: mic binary rate %d (want 48000 or 16000)", cfg.BinaryRate)
	}
	m := &Mic{cfg: cfg}
	m.Reset()
	return m, nil
}

// Reset starts a new session: gains, VAD and resampler state are cleared.
func (m *Mic) Reset() {
	m.gain, m.lim, m.floorDB, m.speechMs = 1, 1, -60, 0
	if m.rs != nil {
		m.rs.Reset()
	}
}

// RateForFrameLen infers a JSON frame's rate from its length as the
// upstream server does: 480 samples mean 48 kHz, anything else 16 kHz.
func RateForFrameLen(n int) int {
	if n == DesktopFrameSamples {
		return 48000
	}
	return ProviderRate
}

// JSONFrame processes the "data" array of a stream_data message (a JSON
// array of int16 numbers), appending 16 kHz PCM16 LE bytes to dst.
func (m *Mic) JSONFrame(dst []byte, data json.RawMessage) ([]byte, MicFrame, error) {
	if len(data) > 8*maxMicFrameSamples {
		return dst, MicFrame{}, fmt.Errorf("%w: %d bytes of JSON", ErrMicFrame, len(data))
	}
	s, err := parseInt16Array(m.samples[:0], data)
	m.samples = s
	if err != nil {
		return dst, MicFrame{}, fmt.Errorf("%w: %w", ErrMicFrame, err)
	}
	return m.Frame(dst, m.samples, RateForFrameLen(len(m.samples)))
}

// parseInt16Array parses a JSON array of integers in the int16 range
// without allocating (the mic sends ~100 of these a second).
func parseInt16Array(dst []int16, b []byte) ([]int16, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return dst, errors.New("want a JSON array of int16 numbers")
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return dst, checkTrailing(b, i+1)
	}
	for {
		neg := false
		if i < len(b) && b[i] == '-' {
			neg = true
			i++
		}
		start := i
		v := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			v = v*10 + int(b[i]-'0')
			if v > 32768 {
				return dst, fmt.Errorf("number at byte %d is out of the int16 range", start)
			}
			i++
		}
		if i == start || (i-start > 1 && b[start] == '0') {
			return dst, fmt.Errorf("want an integer at byte %d", start)
		}
		if neg {
			v = -v
		}
		if v > 32767 {
			return dst, fmt.Errorf("number at byte %d is out of the int16 range", start)
		}
		dst = append(dst, int16(v))
		i = skipSpace(b, i)
		if i >= len(b) {
			return dst, errors.New("unterminated array")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return dst, checkTrailing(b, i+1)
		default:
			return dst, fmt.Errorf("unexpected %q at byte %d (only integers are allowed)", b[i], i)
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func checkTrailing(b []byte, i int) error {
	if skipSpace(b, i) != len(b) {
		return errors.New("trailing data after the array")
	}
	return nil
}

// BinaryFrame processes a binary frame of PCM16 LE samples at the
// configured binary rate.
func (m *Mic) BinaryFrame(dst []byte, b []byte) ([]byte, MicFrame, error) {
	if len(b)%2 != 0 {
		return dst, MicFrame{}, fmt.Errorf("%w: odd byte count %d", ErrMicFrame, len(b))
	}
	if len(b) > 2*maxMicFrameSamples {
		return dst, MicFrame{}, fmt.Errorf("%w: %d bytes", ErrMicFrame, len(b))
	}
	m.samples = BytesToInt16LE(m.samples[:0], b)
	return m.Frame(dst, m.samples, m.cfg.BinaryRate)
}

// Frame processes int16 samples at rate (48000 or 16000).
func (m *Mic) Frame(dst []byte, pcm []int16, rate int) ([]byte, MicFrame, error) {
	if rate != 48000 && rate != ProviderRate {
		return dst, MicFrame{}, fmt.Errorf("%w: rate %d", ErrMicFrame, rate)
	}
	if len(pcm) == 0 || len(pcm) > maxMicFrameSamples {
		return dst, MicFrame{}, fmt.Errorf("%w: %d samples", ErrMicFrame, len(pcm))
	}
	m.buf = Int16ToFloat32(m.buf[:0], pcm)
	info := MicFrame{InRate: rate}
	var sum float64
	for _, v := range m.buf {
		sum += float64(v) * float64(v)
	}
	rms := math.Sqrt(sum / float64(len(m.buf)))
	info.RMS = rms * 32768
	frameMs := 1000 * float64(len(pcm)) / float64(rate)
	info.Speech = m.vad(rms, frameMs)
	if !m.cfg.DisableAGC {
		m.agc(rms, info.Speech)
	}
	info.GainDB = 20 * math.Log10(m.gain)
	m.limit(rate)

	if rate == ProviderRate {
		m.out = append(m.out[:0], m.buf...)
	} else {
		if m.rs == nil || m.rsRate != rate {
			rs, err := NewResampler(rate, ProviderRate, 1)
			if err != nil {
				return dst, info, err
			}
			m.rs, m.rsRate = rs, rate
		}
		m.out = m.rs.Process(m.out[:0], m.buf)
	}
	m.out16 = Float32ToInt16(m.out16[:0], m.out)
	info.Samples = len(m.out16)
	return Int16ToBytesLE(dst, m.out16), info, nil
}

// vad is an energy detector against a tracked noise floor, with hangover.
func (m *Mic) vad(rms, frameMs float64) bool {
	e := 20 * math.Log10(rms+1e-9)
	loud := e > m.floorDB+m.cfg.VADMarginDB && e > m.cfg.VADMinDBFS
	switch {
	case e < m.floorDB:
		m.floorDB += 0.5 * (e - m.floorDB) // falls fast
	case !loud:
		m.floorDB += 0.05 * (e - m.floorDB) // rises slowly with steady noise
	default:
		m.floorDB += 0.0005 * frameMs * (e - m.floorDB) / 10 // barely during speech
	}
	if loud {
		m.speechMs = float64(m.cfg.Hangover.Milliseconds())
		return true
	}
	if m.speechMs > 0 {
		m.speechMs -= frameMs
		return true
	}
	return false
}

// agc moves the gain toward the target level while there is speech: down
// quickly, up slowly, within the configured range. The new gain is ramped
// across the frame.
func (m *Mic) agc(rms float64, speech bool) {
	prev := m.gain
	if speech && rms > 0 {
		want := math.Pow(10, m.cfg.TargetDBFS/20) / rms
		want = math.Max(math.Pow(10, m.cfg.MinGainDB/20), math.Min(math.Pow(10, m.cfg.MaxGainDB/20), want))
		k := 0.05
		if want < m.gain {
			k = 0.3
		}
		m.gain += k * (want - m.gain)
	}
	n := float64(len(m.buf))
	for i := range m.buf {
		g := prev + (m.gain-prev)*float64(i+1)/n
		m.buf[i] = float32(float64(m.buf[i]) * g)
	}
}

// limit is a peak limiter: instant attack to the ceiling, ~50 ms release.
func (m *Mic) limit(rate int) {
	ceil := math.Pow(10, m.cfg.CeilingDBFS/20)
	rel := 1 - math.Exp(-1/(0.05*float64(rate)))
	for i, v := range m.buf {
		a := math.Abs(float64(v))
		if a*m.lim > ceil {
			m.lim = ceil / a
		} else {
			m.lim += (1 - m.lim) * rel
			if a*m.lim > ceil {
				m.lim = ceil / a
			}
		}
		m.buf[i] = float32(float64(v) * m.lim)
	}
}
