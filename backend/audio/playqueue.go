package audio

import (
	"encoding/binary"
	"io"
	"math"
	"time"
)

// idSet remembers the most recent speech ids (a bounded set).
type idSet struct {
	ids  [32]string
	next int
}

func (s *idSet) add(id string) {
	if s.has(id) {
		return
	}
	s.ids[s.next] = id
	s.next = (s.next + 1) % len(s.ids)
}

func (s *idSet) has(id string) bool {
	for _, v := range s.ids {
		if v == id && id != "" {
			return true
		}
	}
	return false
}

// Enqueue queues 48 kHz mono PCM of one utterance.
func (p *Player) Enqueue(speechID string, pcm []int16) {
	if !p.Available() || len(pcm) == 0 {
		return
	}
	f := Int16ToFloat32(make([]float32, 0, len(pcm)), pcm)
	p.enqueue(speechID, f)
}

// EnqueueFloat32 is Enqueue for float32 samples.
func (p *Player) EnqueueFloat32(speechID string, pcm []float32) {
	if !p.Available() || len(pcm) == 0 {
		return
	}
	p.enqueue(speechID, append([]float32(nil), pcm...))
}

func (p *Player) enqueue(speechID string, f []float32) {
	p.mu.Lock()
	if p.interrupted.has(speechID) {
		p.mu.Unlock()
		return
	}
	if p.queued == 0 && (p.current != speechID || !p.playing) {
		p.gated, p.gateAt = true, time.Now()
	}
	p.queue = append(p.queue, playChunk{speechID: speechID, data: f})
	p.queued += len(f)
	tr := p.envs[speechID]
	if tr == nil {
		tr = &envelopeTrack{env: NewEnvelope(PlaybackRate)}
		p.envs[speechID] = tr
	}
	tr.values = tr.env.Append(tr.values, f)
	p.releaseGateLocked()
	p.mu.Unlock()
	p.kick()
}

// EndSpeech marks the last chunk of an utterance: a short reply below the
// pre-roll starts at once.
func (p *Player) EndSpeech(speechID string) {
	if !p.Available() {
		return
	}
	p.mu.Lock()
	p.ended[speechID] = true
	p.releaseGateLocked()
	p.mu.Unlock()
	p.kick()
}

func (p *Player) releaseGateLocked() {
	if !p.gated || len(p.queue) == 0 {
		return
	}
	id := p.queue[0].speechID
	frames := 0
	for _, c := range p.queue {
		if c.speechID != id {
			p.gated = false // a whole utterance is queued
			return
		}
		frames += len(c.data)
	}
	if frames >= int(p.cfg.Preroll.Seconds()*PlaybackRate) || p.ended[id] || time.Since(p.gateAt) >= p.cfg.PrerollWait {
		p.gated = false
	}
}

// Interrupt drops everything queued for speechID and cuts it off if it is
// playing. Later chunks with that id are ignored.
func (p *Player) Interrupt(speechID string) {
	if !p.Available() {
		return
	}
	p.mu.Lock()
	p.interrupted.add(speechID)
	kept := p.queue[:0]
	for _, c := range p.queue {
		if c.speechID == speechID {
			p.queued -= len(c.data)
			continue
		}
		kept = append(kept, c)
	}
	clear(p.queue[len(kept):])
	p.queue = kept
	cut := p.current == speechID
	if cut {
		p.current, p.readPos = "", 0
	}
	delete(p.envs, speechID)
	delete(p.ended, speechID)
	p.mu.Unlock()
	if cut {
		// Outside p.mu: oto holds its player lock while it calls Read.
		p.dev().reset()
		p.startDevice()
	}
	p.kick()
}

func (p *Player) kick() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// playerReader is what the device pulls from; it never blocks.
type playerReader struct{ p *Player }

func (r playerReader) Read(b []byte) (int, error) {
	n := r.p.read(b)
	if n == 0 && r.p.isIdle() {
		// oto's mixer polls a source every millisecond until it reports
		// EOF; an idle player must not cost CPU. Run resets the oto player
		// (clearing the EOF) when audio arrives.
		return 0, io.EOF
	}
	return n, nil
}

func (p *Player) isIdle() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idle && len(p.queue) == 0
}

func (p *Player) read(b []byte) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.readLocked(b)
	if p.priming {
		// oto's Play loops on Read until its buffer is full and would spin
		// forever on an empty queue: top it up with silence.
		full := len(b) / 8 * 8
		clear(b[n:full])
		n = full
	}
	return n
}

func (p *Player) readLocked(b []byte) int {
	if p.gated {
		p.releaseGateLocked()
		if p.gated {
			return 0
		}
	}
	n := 0
	for len(p.queue) > 0 && len(b)-n >= 8 {
		c := &p.queue[0]
		if c.speechID != p.current {
			p.current, p.readPos = c.speechID, 0
		}
		k := min(len(c.data), (len(b)-n)/8)
		for _, v := range c.data[:k] {
			bits := math.Float32bits(v)
			binary.LittleEndian.PutUint32(b[n:], bits)
			binary.LittleEndian.PutUint32(b[n+4:], bits)
			n += 8
		}
		c.data = c.data[k:]
		p.queued -= k
		p.readPos += int64(k)
		if len(c.data) == 0 {
			p.queue[0] = playChunk{}
			p.queue = p.queue[1:]
		}
	}
	if len(p.queue) == 0 && p.current != "" && !p.ended[p.current] {
		// Underrun inside an utterance: buffer a pre-roll again before
		// resuming rather than stuttering chunk by chunk.
		p.gated, p.gateAt = true, time.Now()
	}
	return n
}
