package guard

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// Bucket is a token bucket: it holds up to Burst tokens and refills at Rate
// tokens per second. It is safe for concurrent use.
type Bucket struct {
	mu     sync.Mutex
	rate   float64
	burst  float64
	tokens float64
	last   time.Time
}

// NewBucket returns a full bucket refilling at rate tokens per second with
// room for burst tokens. A rate ≤ 0 never refills.
func NewBucket(rate float64, burst int) *Bucket {
	if burst < 1 {
		burst = 1
	}
	return &Bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// Allow takes one token now, reporting whether one was available.
func (b *Bucket) Allow() bool { return b.AllowN(time.Now(), 1) }

// AllowN takes n tokens at time now, reporting whether they were available;
// when they were not, nothing is taken.
func (b *Bucket) AllowN(now time.Time, n float64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) && b.rate > 0 {
		b.tokens += now.Sub(b.last).Seconds() * b.rate
		if b.tokens > b.burst {
			b.tokens = b.burst
		}
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens < n {
		return false
	}
	b.tokens -= n
	return true
}

// Errors returned by MessageGate.Admit.
var (
	ErrMessageTooLarge = errors.New("message too large")
	ErrRateLimited     = errors.New("too many messages")
)

// MessageLimits caps the messages one WebSocket client may send.
type MessageLimits struct {
	MaxBytes  int64   // largest message; 0 means no cap
	PerSecond float64 // sustained rate; 0 means no rate limit
	Burst     int     // messages allowed at once above the rate
}

// MessageGate applies MessageLimits to one connection. Give gorilla's
// Conn.SetReadLimit the same MaxBytes so oversized frames are never read.
type MessageGate struct {
	limits MessageLimits
	bucket *Bucket
}

// NewMessageGate returns a gate for one connection.
func NewMessageGate(l MessageLimits) *MessageGate {
	g := &MessageGate{limits: l}
	if l.PerSecond > 0 {
		burst := l.Burst
		if burst < 1 {
			burst = int(l.PerSecond) + 1
		}
		g.bucket = NewBucket(l.PerSecond, burst)
	}
	return g
}

// Admit reports whether a message of size bytes may be processed now,
// returning an error wrapping ErrMessageTooLarge or ErrRateLimited when not.
func (g *MessageGate) Admit(size int) error {
	return g.AdmitAt(time.Now(), size)
}

// AdmitAt is Admit at a given time (for tests and replay).
func (g *MessageGate) AdmitAt(now time.Time, size int) error {
	if g.limits.MaxBytes > 0 && int64(size) > g.limits.MaxBytes {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrMessageTooLarge, size, g.limits.MaxBytes)
	}
	if g.bucket != nil && !g.bucket.AllowN(now, 1) {
		return fmt.Errorf("%w: limit %.0f per second", ErrRateLimited, g.limits.PerSecond)
	}
	return nil
}
