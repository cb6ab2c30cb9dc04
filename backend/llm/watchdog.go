package llm

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// watchdog turns the first-token and idle timeouts into a cancellation of
// the request context with a *Error cause, so a blocked body read returns
// at once. One timer serves both phases: tick re-arms it with the idle
// timeout.
type watchdog struct {
	parent  context.Context
	cancel  context.CancelCauseFunc
	timer   *time.Timer
	first   time.Duration
	idle    time.Duration
	started atomic.Bool // an event arrived: the idle phase runs
}

func newWatchdog(parent context.Context, first, idle time.Duration) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancelCause(parent)
	w := &watchdog{parent: parent, cancel: cancel, first: first, idle: idle}
	w.timer = time.AfterFunc(first, w.fire)
	return ctx, w
}

func (w *watchdog) fire() {
	if w.started.Load() {
		w.cancel(&Error{Code: CodeResponseTimeout, Message: fmt.Sprintf("no token for %v", w.idle)})
		return
	}
	w.cancel(&Error{Code: CodeResponseTimeout, Message: fmt.Sprintf("no answer within %v", w.first)})
}

// tick records progress: the idle timeout restarts.
func (w *watchdog) tick() {
	w.started.Store(true)
	w.timer.Reset(w.idle)
}

func (w *watchdog) stop() {
	w.timer.Stop()
	w.cancel(nil)
}

// cause reports the watchdog's *Error if it fired.
func (w *watchdog) cause(ctx context.Context) error {
	var e *Error
	if c := context.Cause(ctx); c != nil && errors.As(c, &e) {
		return e
	}
	return nil
}

// wrapReadErr classifies an error that happened while reading the answer.
func (w *watchdog) wrapReadErr(ctx context.Context, err error) error {
	if c := w.cause(ctx); c != nil {
		return c
	}
	if perr := w.parent.Err(); perr != nil {
		return perr
	}
	return classifyTransport(err)
}
