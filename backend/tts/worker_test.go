package tts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"neko/backend/tts"
)

// scriptEngine is a controllable engine for the worker contract: each
// written piece becomes `chunks` PCM chunks of `size` samples at `rate`;
// with `late` it keeps calling the sink after its context is cancelled,
// like a provider callback that does not know about the interrupt.
type scriptEngine struct {
	rate, chunks, size int
	late               bool
	prepare            func(ctx context.Context) error

	mu     sync.Mutex
	writes []string
	ctxs   map[string]context.Context
}

func (e *scriptEngine) Name() string { return "script" }
func (e *scriptEngine) Prepare(ctx context.Context) error {
	if e.prepare != nil {
		return e.prepare(ctx)
	}
	return nil
}
func (e *scriptEngine) Close() error { return nil }

func (e *scriptEngine) Start(ctx context.Context, id string, sink tts.Sink) (tts.Stream, error) {
	e.mu.Lock()
	if e.ctxs == nil {
		e.ctxs = map[string]context.Context{}
	}
	e.ctxs[id] = ctx
	e.mu.Unlock()
	st := &scriptStream{e: e, ctx: ctx, sink: sink, in: make(chan string, 64), done: make(chan struct{})}
	go st.run()
	return st, nil
}

type scriptStream struct {
	e    *scriptEngine
	ctx  context.Context
	sink tts.Sink
	in   chan string
	once sync.Once
	done chan struct{}
}

func (s *scriptStream) Write(text string) error {
	s.e.mu.Lock()
	s.e.writes = append(s.e.writes, text)
	s.e.mu.Unlock()
	s.in <- text
	return nil
}
func (s *scriptStream) Finish() error         { s.once.Do(func() { close(s.in) }); return nil }
func (s *scriptStream) Done() <-chan struct{} { return s.done }
func (s *scriptStream) Err() error            { return nil }

func (s *scriptStream) run() {
	defer close(s.done)
	for {
		select {
		case <-s.ctx.Done():
			if s.e.late {
				for i := 0; i < 50; i++ { // late callbacks after the abort
					s.sink.PCM(make([]int16, s.e.size), s.e.rate)
				}
			}
			return
		case _, ok := <-s.in:
			if !ok {
				return
			}
			for i := 0; i < s.e.chunks; i++ {
				buf := make([]int16, s.e.size)
				for j := range buf {
					buf[j] = int16(1000 * (j%2*2 - 1))
				}
				s.sink.PCM(buf, s.e.rate)
				if s.e.late {
					time.Sleep(time.Millisecond)
				}
			}
		}
	}
}

func (e *scriptEngine) written() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.writes...)
}

// runWorker starts w and stops it at the end of the test.
func runWorker(t *testing.T, w *tts.Worker) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("worker did not stop")
		}
	})
}

// next reads one event or fails after a generous guard.
func next(t *testing.T, w *tts.Worker) tts.Event {
	t.Helper()
	select {
	case ev := <-w.Events():
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event from worker")
	}
	return tts.Event{}
}

func expectReady(t *testing.T, w *tts.Worker) {
	t.Helper()
	if ev := next(t, w); ev.Kind != tts.EventReady || !ev.Ready {
		t.Fatalf("first event = %+v, want ready", ev)
	}
}

// collect reads events until Done of id, returning PCM bytes per speech id.
func collect(t *testing.T, w *tts.Worker, id string) map[string]int {
	t.Helper()
	got := map[string]int{}
	for {
		ev := next(t, w)
		switch ev.Kind {
		case tts.EventAudio:
			got[ev.SpeechID] += len(ev.PCM) + len(ev.OGG)
		case tts.EventError:
			t.Fatalf("error event: %v (%s)", ev.Err, ev.Code)
		case tts.EventDone:
			if ev.SpeechID == id {
				return got
			}
		}
	}
}

func TestWorkerSpeaksClauses(t *testing.T) {
	e := &scriptEngine{rate: 48000, chunks: 2, size: 480}
	w := tts.NewWorker(e, tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("s1", "Hello **there**. How are ")
	w.Speak("s1", "you (smiles)")
	w.End()
	got := collect(t, w, "s1")
	if want := 2 * 2 * 480 * 2; got["s1"] != want {
		t.Fatalf("audio bytes = %d, want %d", got["s1"], want)
	}
	if ws := e.written(); len(ws) != 2 || ws[0] != "Hello there." || ws[1] != "How are you" {
		t.Fatalf("engine got %q", ws)
	}
}

func TestWorkerResamplesTo48k(t *testing.T) {
	e := &scriptEngine{rate: 24000, chunks: 10, size: 240} // 100 ms
	w := tts.NewWorker(e, tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("s1", "One clause.")
	w.End()
	got := collect(t, w, "s1")["s1"] / 2
	if got < 4700 || got > 4900 { // 100 ms at 48 kHz, with the tail flushed
		t.Fatalf("resampled %d samples, want about 4800", got)
	}
}

func TestWorkerInterruptMutesLateAudio(t *testing.T) {
	e := &scriptEngine{rate: 48000, chunks: 300, size: 48, late: true}
	w := tts.NewWorker(e, tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("old", "A long answer that keeps going. ")
	for n := 0; n < 5; {
		if ev := next(t, w); ev.Kind == tts.EventAudio && ev.SpeechID == "old" {
			n++
		}
	}
	w.Interrupt()
	// Nothing of "old" may arrive once Interrupt has returned.
	w.Speak("new", "Short.")
	w.End()
	got := collect(t, w, "new")
	if got["old"] != 0 {
		t.Fatalf("%d bytes of interrupted speech arrived after Interrupt", got["old"])
	}
	if got["new"] == 0 {
		t.Fatal("no audio for the new speech")
	}
	e.mu.Lock()
	oldCtx := e.ctxs["old"]
	e.mu.Unlock()
	if oldCtx.Err() == nil {
		t.Fatal("interrupted stream was not cancelled")
	}
}

func TestWorkerNewSpeechIDClosesUnfinished(t *testing.T) {
	e := &scriptEngine{rate: 48000, chunks: 1, size: 48}
	w := tts.NewWorker(e, tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("a", "First. ")
	w.Speak("b", "Second. ")
	w.End()
	got := collect(t, w, "b")
	if got["b"] == 0 {
		t.Fatal("no audio for b")
	}
	e.mu.Lock()
	a := e.ctxs["a"]
	e.mu.Unlock()
	if a == nil || a.Err() == nil {
		t.Fatal("stream a was not closed by the new speech id")
	}
}

func TestWorkerFinishedUtteranceDrainsInOrder(t *testing.T) {
	e := &scriptEngine{rate: 48000, chunks: 20, size: 48}
	w := tts.NewWorker(e, tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("a", "First.")
	w.End()
	w.Speak("b", "Second.")
	w.End()
	sawB := false
	for {
		ev := next(t, w)
		if ev.Kind == tts.EventAudio && ev.SpeechID == "b" {
			sawB = true
		}
		if ev.Kind == tts.EventAudio && ev.SpeechID == "a" && sawB {
			t.Fatal("audio of a after audio of b")
		}
		if ev.Kind == tts.EventDone && ev.SpeechID == "b" {
			break
		}
	}
}

func TestWorkerReadyTimeout(t *testing.T) {
	e := &scriptEngine{rate: 48000, prepare: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	w := tts.NewWorker(e, tts.WorkerConfig{ReadyTimeout: 50 * time.Millisecond})
	runWorker(t, w)
	if ev := next(t, w); ev.Kind != tts.EventReady || ev.Ready {
		t.Fatalf("got %+v, want not ready", ev)
	}
	ev := next(t, w)
	if ev.Kind != tts.EventError || ev.Code != tts.CodeConnTimeout || !errors.Is(ev.Err, tts.ErrReadyTimeout) {
		t.Fatalf("got %+v, want a CONNECTION_TIMEOUT error", ev)
	}
}

func TestWorkerUnspeakableUtteranceEndsQuietly(t *testing.T) {
	e := &scriptEngine{rate: 48000, chunks: 1, size: 48}
	w := tts.NewWorker(e, tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("s1", "(smiles) 😀")
	w.End()
	if got := collect(t, w, "s1"); got["s1"] != 0 {
		t.Fatalf("audio for nothing: %v", got)
	}
	if ws := e.written(); len(ws) != 0 {
		t.Fatalf("engine got %q", ws)
	}
}
