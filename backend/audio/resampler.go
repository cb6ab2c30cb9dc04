package audio

import (
	"errors"
	"fmt"
	"slices"
)

// blockFrames bounds how many input frames are buffered per step, so the
// internal buffers reach a fixed size and steady-state processing does not
// allocate whatever the caller's chunk sizes are.
const blockFrames = 4096

// MaxRate is the highest sample rate NewResampler accepts.
const MaxRate = 768000

// Resampler converts interleaved audio from one sample rate to another with a
// linear-phase Kaiser-windowed-sinc polyphase filter of libsoxr HQ quality
// (passband to 0.913 of the lower Nyquist, stopband from that Nyquist, 140 dB
// rejection). The filter delay is compensated: output sample k sits at the
// time of input sample k*in/out, exactly like `sox ... rate -v`.
//
// It is streaming and stateful: feed chunks of any size to Process and the
// output is bit-identical to one big call. Flush drains the tail at the end
// of a stream; Reset starts a new stream (a new turn). A Resampler is not
// safe for concurrent use.
type Resampler struct {
	pp       polyphase
	channels int

	hist  [][]float32 // per channel; hist[c][i] is input sample base+i
	base  int64       // absolute input index of hist[*][0]
	avail int64       // absolute index one past the last buffered input sample
	inN   int64       // input frames consumed since the stream began
	outK  int64       // next output sample index
	n     int64       // floor(outK*m/l)
	p     int         // outK*m mod l

	partial  []float32 // samples of an incomplete frame carried to the next call
	scratchF []float32 // int16 path: converted input
	scratchO []float32 // int16 path: float output
}

// NewResampler makes a streaming resampler for interleaved float32 (or int16)
// audio with the given number of channels.
func NewResampler(inRate, outRate, channels int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 || inRate > MaxRate || outRate > MaxRate {
		return nil, fmt.Errorf("audio: resampler rates %d -> %d out of range (1..%d)", inRate, outRate, MaxRate)
	}
	if channels < 1 || channels > 8 {
		return nil, fmt.Errorf("audio: resampler channels %d out of range (1..8)", channels)
	}
	if outRate/gcd(inRate, outRate) > 4096 {
		return nil, errors.New("audio: resampler ratio too complex (reduced interpolation factor above 4096)")
	}
	pp := designPolyphase(inRate, outRate)
	r := &Resampler{pp: pp, channels: channels, hist: make([][]float32, channels)}
	for c := range r.hist {
		r.hist[c] = make([]float32, 0, pp.taps+blockFrames+pp.m+8)
	}
	r.partial = make([]float32, 0, channels)
	r.Reset()
	return r, nil
}

// Reset clears all state so the next Process starts a new stream (call it at
// every turn boundary). Buffers are kept, so it does not allocate.
func (r *Resampler) Reset() {
	for c := range r.hist {
		h := r.hist[c][:r.pp.half]
		clear(h) // the stream is preceded by silence
		r.hist[c] = h
	}
	r.base = -int64(r.pp.half)
	r.avail = 0
	r.inN, r.outK, r.n, r.p = 0, 0, 0, 0
	r.partial = r.partial[:0]
}

// Delay is the filter's look-ahead in input frames: output for an input
// sample is complete once this many later frames have been given (or on
// Flush).
func (r *Resampler) Delay() int { return r.pp.taps - r.pp.half }

// Process resamples interleaved src, appends the output to dst and returns
// it. A trailing incomplete frame is kept for the next call.
func (r *Resampler) Process(dst, src []float32) []float32 {
	ch := r.channels
	if len(r.partial) > 0 {
		need := ch - len(r.partial)
		if len(src) < need {
			r.partial = append(r.partial, src...)
			return dst
		}
		r.partial = append(r.partial, src[:need]...)
		src = src[need:]
		dst = r.feed(dst, r.partial)
		r.partial = r.partial[:0]
	}
	whole := len(src) / ch * ch
	for off := 0; off < whole; {
		end := min(whole, off+blockFrames*ch)
		dst = r.feed(dst, src[off:end])
		off = end
	}
	r.partial = append(r.partial, src[whole:]...)
	return dst
}

// feed appends whole frames (at most blockFrames) to the history and emits
// every output sample whose inputs are all available.
func (r *Resampler) feed(dst, src []float32) []float32 {
	ch := r.channels
	frames := len(src) / ch
	r.compact()
	if ch == 1 {
		r.hist[0] = append(r.hist[0], src...)
	} else {
		for c := range ch {
			h := r.hist[c]
			for i := range frames {
				h = append(h, src[i*ch+c])
			}
			r.hist[c] = h
		}
	}
	r.avail += int64(frames)
	r.inN += int64(frames)
	return r.emit(dst, -1)
}

// compact drops history that no future output needs.
func (r *Resampler) compact() {
	keep := r.n - int64(r.pp.half) // first input sample the next output reads
	drop := int(keep - r.base)
	if drop <= 0 {
		return
	}
	if drop > len(r.hist[0]) {
		drop = len(r.hist[0])
	}
	for c := range r.hist {
		h := r.hist[c]
		n := copy(h, h[drop:])
		r.hist[c] = h[:n]
	}
	r.base += int64(drop)
}

// emit produces outputs while their inputs are buffered; when limit >= 0 it
// also stops before output index limit.
func (r *Resampler) emit(dst []float32, limit int64) []float32 {
	pp := &r.pp
	taps, half := pp.taps, int64(pp.half)
	l, m := int64(pp.l), int64(pp.m)
	// Output k reads inputs floor(k*m/l)-half .. +taps-1, so the outputs
	// ready now are those with floor(k*m/l) <= avail+half-taps.
	nmax := r.avail + half - int64(taps)
	if nmax < r.n {
		return dst
	}
	count := ((nmax+1)*l-1)/m - r.outK + 1
	if limit >= 0 {
		count = min(count, limit-r.outK)
	}
	if count <= 0 {
		return dst
	}
	ch := r.channels
	w := len(dst)
	dst = slices.Grow(dst, int(count)*ch)[:w+int(count)*ch]
	n, p, coeffs := r.n, int64(r.p), pp.coeffs
	for k := int64(0); k < count; k++ {
		off := int(n - half - r.base)
		c := coeffs[int(p)*taps : int(p)*taps+taps]
		switch {
		case ch == 1 && k+1 < count && p+m < l:
			// The next output reads the same inputs (upsampling): share
			// the input loads between the two phases.
			p2 := p + m
			c2 := coeffs[int(p2)*taps : int(p2)*taps+taps]
			dst[w], dst[w+1] = dot2(r.hist[0][off:off+taps], c, c2)
			w += 2
			k++
			p = p2
		case ch == 1:
			dst[w] = dot(c, r.hist[0][off:off+taps])
			w++
		default:
			ci := 0
			for ; ci+1 < ch; ci += 2 {
				dst[w], dst[w+1] = dot2(c, r.hist[ci][off:off+taps], r.hist[ci+1][off:off+taps])
				w += 2
			}
			if ci < ch {
				dst[w] = dot(c, r.hist[ci][off:off+taps])
				w++
			}
		}
		p += m
		if p >= l {
			n += p / l
			p %= l
		}
	}
	r.n, r.p = n, int(p)
	r.outK += count
	return dst
}

// Flush drains the tail of the stream (as if it were followed by silence),
// appends it to dst and resets the resampler for a new stream. The total
// output of a stream is inputFrames*out/in rounded to nearest (half up), the
// same count sox produces.
func (r *Resampler) Flush(dst []float32) []float32 {
	r.partial = r.partial[:0]
	l, m := int64(r.pp.l), int64(r.pp.m)
	total := (2*r.inN*l + m) / (2 * m)
	for r.outK < total {
		r.compact()
		room := cap(r.hist[0]) - len(r.hist[0])
		if room > blockFrames {
			room = blockFrames
		}
		for c := range r.hist {
			h := r.hist[c]
			r.hist[c] = h[:len(h)+room]
			clear(r.hist[c][len(h):])
		}
		r.avail += int64(room)
		dst = r.emit(dst, total)
	}
	r.Reset()
	return dst
}

// ProcessInt16 is Process for interleaved int16 samples. Output is rounded
// to nearest and clipped.
func (r *Resampler) ProcessInt16(dst, src []int16) []int16 {
	for len(src) > 0 {
		n := min(len(src), blockFrames*r.channels)
		r.scratchF = Int16ToFloat32(r.scratchF[:0], src[:n])
		r.scratchO = r.Process(r.scratchO[:0], r.scratchF)
		dst = Float32ToInt16(dst, r.scratchO)
		src = src[n:]
	}
	return dst
}

// FlushInt16 is Flush for the int16 path.
func (r *Resampler) FlushInt16(dst []int16) []int16 {
	r.scratchO = r.Flush(r.scratchO[:0])
	return Float32ToInt16(dst, r.scratchO)
}
