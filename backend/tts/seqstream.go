package tts

import (
	"context"
	"strings"
	"sync"
)

// synthFunc speaks one piece of text into sink; it returns when its audio
// is delivered or ctx ends.
type synthFunc func(ctx context.Context, text string, sink Sink) error

// seqStream is the Stream of engines that synthesise text piece by piece
// (HTTP providers, OS voices). The first clause goes out alone, so audio
// starts early; clauses that arrive while a request runs are joined into the
// next request, so a long reply costs few requests.
type seqStream struct {
	ctx   context.Context
	synth synthFunc
	sink  Sink
	// maxJoin caps the runes of one joined request (0: no cap).
	maxJoin int

	mu       sync.Mutex
	started  bool // the first piece went out alone
	pending  []string
	finished bool
	wake     chan struct{}

	done chan struct{}
	err  error
}

func newSeqStream(ctx context.Context, sink Sink, maxJoin int, synth synthFunc) *seqStream {
	s := &seqStream{ctx: ctx, synth: synth, sink: sink, maxJoin: maxJoin,
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *seqStream) Write(text string) error {
	s.mu.Lock()
	if !s.finished {
		s.pending = append(s.pending, text)
	}
	s.mu.Unlock()
	s.poke()
	return nil
}

func (s *seqStream) Finish() error {
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
	s.poke()
	return nil
}

func (s *seqStream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *seqStream) Done() <-chan struct{} { return s.done }

func (s *seqStream) Err() error {
	<-s.done
	return s.err
}

// take removes the next batch of pending text.
func (s *seqStream) take() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.pending) == 0 {
		return "", s.finished
	}
	n, size := 0, 0
	for n < len(s.pending) && (s.started || n == 0) {
		l := runeLen(s.pending[n])
		if n > 0 && s.maxJoin > 0 && size+l > s.maxJoin {
			break
		}
		size += l
		n++
	}
	s.started = true
	text := joinClauses(s.pending[:n])
	s.pending = s.pending[n:]
	return text, false
}

func (s *seqStream) run() {
	defer close(s.done)
	for {
		text, end := s.take()
		if end {
			return
		}
		if text == "" {
			select {
			case <-s.ctx.Done():
				return
			case <-s.wake:
			}
			continue
		}
		if err := s.synth(s.ctx, text, s.sink); err != nil {
			if s.ctx.Err() == nil {
				s.err = err
			}
			return
		}
	}
}

// joinClauses concatenates clauses, with a space only between Latin text.
func joinClauses(parts []string) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 && b.Len() > 0 {
			prev := []rune(parts[i-1])
			first := []rune(p)
			if len(prev) > 0 && len(first) > 0 && !isCJK(prev[len(prev)-1]) && !isCJK(first[0]) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(p)
	}
	return b.String()
}

// deliverPCM hands samples to sink in pieces of about 100 ms at rate.
func deliverPCM(ctx context.Context, sink Sink, samples []int16, rate int) {
	step := rate / 10
	if step <= 0 {
		step = len(samples)
	}
	for i := 0; i < len(samples) && ctx.Err() == nil; i += step {
		j := min(i+step, len(samples))
		sink.PCM(samples[i:j], rate)
	}
}
