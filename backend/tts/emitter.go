package tts

import (
	"context"
	"encoding/binary"
	"fmt"
)

// Resampler converts one mono int16 stream between two rates, keeping its
// filter state between calls. neko/backend/audio.Resampler satisfies it.
type Resampler interface {
	ProcessInt16(dst, src []int16) []int16
}

// ResamplerFactory builds the resampler of one utterance (mono).
type ResamplerFactory func(inRate, outRate int) (Resampler, error)

// flusher is implemented by resamplers that hold a delayed tail.
type flusherInt16 interface {
	FlushInt16(dst []int16) []int16
}

// emitter is the Sink of one stream: it resamples PCM to 48 kHz and
// delivers events unless the stream was aborted or interrupted.
type emitter struct {
	w        *Worker
	id       string
	epoch    uint64
	ctx      context.Context
	resample ResamplerFactory

	// touched only by the engine's delivering goroutine (calls never overlap)
	rs     Resampler
	rsRate int
	buf    []int16
	failed bool
}

func (e *emitter) PCM(samples []int16, rate int) {
	if len(samples) == 0 || e.ctx.Err() != nil || e.failed {
		return
	}
	out := samples
	if rate != OutputRate {
		if e.rs == nil || e.rsRate != rate {
			e.flush() // a rate change (GPT-SoVITS chunks) starts a new filter
			if e.resample == nil {
				e.fail(fmt.Errorf("tts: engine rate %d Hz needs a resampler", rate))
				return
			}
			rs, err := e.resample(rate, OutputRate)
			if err != nil {
				e.fail(fmt.Errorf("tts: resampler %d→%d Hz: %w", rate, OutputRate, err))
				return
			}
			e.rs, e.rsRate = rs, rate
		}
		e.buf = e.rs.ProcessInt16(e.buf[:0], samples)
		out = e.buf
	}
	if len(out) == 0 {
		return
	}
	e.w.sendEpoch(e.epoch, e.ctx, Event{Kind: EventAudio, SpeechID: e.id, PCM: int16ToBytes(out)})
}

func (e *emitter) OGG(pages []byte) {
	if len(pages) == 0 || e.ctx.Err() != nil {
		return
	}
	b := make([]byte, len(pages))
	copy(b, pages)
	e.w.sendEpoch(e.epoch, e.ctx, Event{Kind: EventAudio, SpeechID: e.id, OGG: b})
}

// flush emits the resampler's delayed tail, if it keeps one.
func (e *emitter) flush() {
	if e.rs == nil {
		return
	}
	if f, ok := e.rs.(flusherInt16); ok {
		tail := f.FlushInt16(nil)
		if len(tail) > 0 {
			e.w.sendEpoch(e.epoch, e.ctx, Event{Kind: EventAudio, SpeechID: e.id, PCM: int16ToBytes(tail)})
		}
	}
	e.rs = nil
}

func (e *emitter) fail(err error) {
	e.failed = true
	e.w.sendEpoch(e.epoch, e.ctx, Event{Kind: EventError, SpeechID: e.id, Err: err, Code: CodeInternalFailure})
}

func int16ToBytes(s []int16) []byte {
	b := make([]byte, 2*len(s))
	for i, v := range s {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(v))
	}
	return b
}
