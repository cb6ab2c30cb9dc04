package tts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultReadyTimeout is how long a Worker lets its engine prepare before it
// reports not-ready (the original session waits 12 s for "__ready__").
const DefaultReadyTimeout = 12 * time.Second

// EventKind says what an Event carries.
type EventKind int

const (
	// EventReady is sent once, after the engine prepared (Ready) or failed.
	EventReady EventKind = iota + 1
	// EventError reports a failure; Code is the client status code.
	EventError
	// EventAudio carries PCM s16le 48 kHz mono or OGG/Opus for SpeechID.
	EventAudio
	// EventDone says all audio of SpeechID has been delivered.
	EventDone
)

// Event is one reply of a Worker.
type Event struct {
	Kind     EventKind
	SpeechID string
	Ready    bool   // EventReady
	Err      error  // EventError
	Code     string // EventError: status code for the client (§5.3)
	PCM      []byte // EventAudio: s16le mono at OutputRate
	OGG      []byte // EventAudio: OGG/Opus pages, passed through
}

// WorkerConfig configures a Worker. The zero value is usable.
type WorkerConfig struct {
	// ReadyTimeout bounds Engine.Prepare; zero means DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// Resample builds the streaming resampler of one utterance; nil means
	// AudioResampler.
	Resample ResamplerFactory
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

type reqKind int

const (
	reqSpeak reqKind = iota
	reqEnd
)

type request struct {
	kind  reqKind
	id    string
	text  string
	epoch uint64
}

// Worker runs one Engine under the worker contract of reference §7.5.
// Speak, End and Interrupt may be called from any goroutine; Run drives it.
type Worker struct {
	engine Engine
	cfg    WorkerConfig
	log    *slog.Logger
	events chan Event

	qmu    sync.Mutex
	queue  []request
	notify chan struct{}

	// sendMu serialises audio delivery with Interrupt: once Interrupt has
	// returned, no event of an older epoch can reach Events. A sender may
	// hold it while blocked on Events, so nothing the reader calls waits
	// for it before cancelling the sender's context.
	sendMu sync.Mutex
	epoch  atomic.Uint64

	stopped atomic.Bool // Run returned: requests are dropped
	warming atomic.Bool // a Prewarm is running

	ctxMu       sync.Mutex    // guards the contexts below and warmDone
	warmDone    chan struct{} // closed when the last Prewarm finished
	epochCtx    context.Context
	epochCancel context.CancelFunc
	runCtx      context.Context

	wg sync.WaitGroup
}

// NewWorker returns a Worker for engine. Nothing runs until Run.
func NewWorker(engine Engine, cfg WorkerConfig) *Worker {
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	if cfg.Resample == nil {
		cfg.Resample = AudioResampler
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Worker{
		engine: engine,
		cfg:    cfg,
		log:    log.With("component", "tts", "engine", engine.Name()),
		events: make(chan Event),
		notify: make(chan struct{}, 1),
	}
}

// Events delivers the worker's replies. It is unbuffered, so after
// Interrupt returns the reader never sees audio of the interrupted speech.
// Each utterance ends with one EventDone or one EventError carrying its
// speech id (none when it was interrupted or replaced). The channel is
// never closed; stop reading when Run has returned.
func (w *Worker) Events() <-chan Event { return w.events }

// Speak queues a piece of text of utterance speechID. A speech id other
// than the current one starts a new utterance and closes the previous one.
func (w *Worker) Speak(speechID, text string) {
	w.push(request{kind: reqSpeak, id: speechID, text: text})
}

// Prewarm asks the engine to open its connection now (for example when the
// user starts talking), so the next utterance skips the connect and
// greeting. Engines without a session treat it as a no-op.
func (w *Worker) Prewarm() {
	w.ctxMu.Lock()
	ctx := w.runCtx
	if w.stopped.Load() || ctx == nil || ctx.Err() != nil || !w.warming.CompareAndSwap(false, true) {
		w.ctxMu.Unlock()
		return
	}
	w.wg.Add(1) // under ctxMu: Run sets stopped under it before waiting
	done := make(chan struct{})
	w.warmDone = done
	w.ctxMu.Unlock()
	go func() {
		defer w.wg.Done()
		defer close(done)
		defer w.warming.Store(false)
		pctx, cancel := context.WithTimeout(ctx, w.cfg.ReadyTimeout)
		defer cancel()
		if err := w.engine.Prepare(pctx); err != nil && ctx.Err() == nil {
			w.log.Debug("prewarm failed", "err", err)
		}
	}()
}

// End marks the end of the current utterance (the original's (None, None)).
func (w *Worker) End() { w.push(request{kind: reqEnd}) }

// Interrupt stops the current utterance now: queued text is dropped, the
// engine stream is aborted, and no audio of it is delivered after Interrupt
// returns.
func (w *Worker) Interrupt() {
	w.qmu.Lock()
	w.queue = w.queue[:0]
	w.qmu.Unlock()
	w.bumpEpoch()
}

func (w *Worker) bumpEpoch() {
	w.ctxMu.Lock()
	if w.epochCancel != nil {
		w.epochCancel() // unblocks a sender waiting on Events
	}
	w.epoch.Add(1)
	if w.runCtx != nil {
		w.epochCtx, w.epochCancel = context.WithCancel(w.runCtx)
	}
	w.ctxMu.Unlock()
	w.barrier()
}

// barrier waits for an in-flight delivery; later ones see the new state.
func (w *Worker) barrier() {
	w.sendMu.Lock()
	w.sendMu.Unlock() //nolint:staticcheck // an empty critical section is the point
}

func (w *Worker) currentEpoch() (uint64, context.Context) {
	w.ctxMu.Lock()
	defer w.ctxMu.Unlock()
	return w.epoch.Load(), w.epochCtx
}

func (w *Worker) push(r request) {
	if w.stopped.Load() {
		return
	}
	w.qmu.Lock()
	r.epoch = w.epoch.Load()
	w.queue = append(w.queue, r)
	w.qmu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

func (w *Worker) pop() (request, bool) {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	if len(w.queue) == 0 {
		return request{}, false
	}
	r := w.queue[0]
	w.queue = w.queue[1:]
	return r, true
}

// send delivers a loop-level event (ready); it gives up when ctx ends.
func (w *Worker) send(ctx context.Context, ev Event) {
	select {
	case w.events <- ev:
	case <-ctx.Done():
	}
}

// sendEpoch delivers a stream event unless its epoch was interrupted.
func (w *Worker) sendEpoch(epoch uint64, ctx context.Context, ev Event) bool {
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	if epoch != w.epoch.Load() || ctx.Err() != nil {
		return false
	}
	select {
	case w.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// active is the utterance being spoken.
type active struct {
	id       string
	epoch    uint64
	ctx      context.Context
	cancel   context.CancelFunc
	stream   Stream // nil when Start failed
	split    *Splitter
	wrote    int           // clauses handed to the engine
	failed   atomic.Bool   // an error was reported; nothing more is
	finished bool          // End was processed
	drained  chan struct{} // closed when the stream's audio and final event are out
}

// Run prepares the engine, reports ready, then serves requests until ctx
// ends. It closes the engine before returning.
func (w *Worker) Run(ctx context.Context) error {
	w.ctxMu.Lock()
	w.runCtx = ctx
	w.epochCtx, w.epochCancel = context.WithCancel(ctx)
	w.ctxMu.Unlock()
	defer func() {
		w.qmu.Lock()
		w.queue = nil
		w.qmu.Unlock()
		w.ctxMu.Lock()
		w.stopped.Store(true)
		w.epochCancel()
		w.ctxMu.Unlock()
		w.wg.Wait()
		if err := w.engine.Close(); err != nil {
			w.log.Warn("close engine", "err", err)
		}
	}()

	pctx, cancel := context.WithTimeout(ctx, w.cfg.ReadyTimeout)
	err := w.engine.Prepare(pctx)
	if err != nil && errors.Is(pctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("%s: %w after %s: %w", w.engine.Name(), ErrReadyTimeout, w.cfg.ReadyTimeout, err)
	}
	cancel()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		w.log.Warn("engine not ready", "err", err)
		w.send(ctx, Event{Kind: EventReady, Ready: false})
		w.send(ctx, Event{Kind: EventError, Err: err, Code: StatusCode(err)})
	} else {
		w.send(ctx, Event{Kind: EventReady, Ready: true})
	}

	var cur *active
	for {
		r, ok := w.pop()
		if !ok {
			select {
			case <-ctx.Done():
				return nil
			case <-w.notify:
			}
			continue
		}
		epoch, ectx := w.currentEpoch()
		if cur != nil && cur.epoch != epoch {
			cur.cancel() // interrupted: its sends are already muted
			cur = nil
		}
		if r.epoch != epoch {
			continue // queued before an interrupt
		}
		switch r.kind {
		case reqSpeak:
			if cur == nil || cur.id != r.id {
				if cur != nil {
					if !cur.finished {
						// A new utterance closes an unfinished one.
						w.abort(cur)
					} else {
						// Keep order: the finished one drains first.
						select {
						case <-cur.drained:
						case <-ectx.Done():
						}
						if e2, _ := w.currentEpoch(); e2 != epoch {
							cur = nil
							continue
						}
					}
					cur.cancel()
				}
				cur = w.start(ectx, epoch, r.id)
			}
			if cur.finished {
				continue // text after End of the same speech id is ignored
			}
			for _, clause := range cur.split.Push(r.text) {
				w.write(cur, clause)
			}
		case reqEnd:
			if cur == nil || cur.finished {
				continue
			}
			w.write(cur, cur.split.Flush())
			cur.finished = true
			if cur.wrote == 0 {
				// Nothing speakable ("(smiles)"): close the stream quietly
				// rather than commit an empty buffer to the provider.
				w.abort(cur)
				if !cur.failed.Load() {
					w.sendEpoch(cur.epoch, ectx, Event{Kind: EventDone, SpeechID: cur.id})
				}
				continue
			}
			if cur.stream != nil {
				if err := cur.stream.Finish(); err != nil {
					w.streamError(cur, err)
				}
			}
		}
	}
}

func (w *Worker) start(ectx context.Context, epoch uint64, id string) *active {
	w.ctxMu.Lock()
	warm := w.warmDone
	w.ctxMu.Unlock()
	if warm != nil {
		select { // a connection being warmed is about to be ready: use it
		case <-warm:
		case <-ectx.Done():
		}
	}
	sctx, cancel := context.WithCancel(ectx)
	a := &active{id: id, epoch: epoch, ctx: sctx, cancel: cancel, split: NewSplitter(), drained: make(chan struct{})}
	em := &emitter{w: w, id: id, epoch: epoch, ctx: sctx, resample: w.cfg.Resample}
	st, err := w.engine.Start(sctx, id, em)
	if err != nil {
		w.streamError(a, err)
		close(a.drained)
		return a
	}
	a.stream = st
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer close(a.drained)
		select {
		case <-st.Done():
		case <-sctx.Done():
			<-st.Done()
			return
		}
		if err := st.Err(); err != nil {
			w.streamError(a, err)
			return
		}
		em.flush()
		if !a.failed.Load() {
			w.sendEpoch(epoch, sctx, Event{Kind: EventDone, SpeechID: id})
		}
	}()
	return a
}

// abort cancels one stream; once it returns nothing of a is delivered.
func (w *Worker) abort(a *active) {
	a.cancel()
	w.barrier() // sendEpoch checks the stream ctx under sendMu
}

func (w *Worker) write(a *active, clause string) {
	if a.stream == nil || clause == "" {
		return
	}
	a.wrote++
	if err := a.stream.Write(clause); err != nil {
		w.streamError(a, err)
	}
}

func (w *Worker) streamError(a *active, err error) {
	code := StatusCode(err)
	if code == "" || !a.failed.CompareAndSwap(false, true) {
		return // cancelled, or the utterance already reported its failure
	}
	w.log.Warn("tts stream failed", "speech_id", a.id, "err", err, "code", code)
	w.sendEpoch(a.epoch, a.ctx, Event{Kind: EventError, SpeechID: a.id, Err: err, Code: code})
}
