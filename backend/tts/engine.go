package tts

import "context"

// OutputRate is the sample rate of every PCM chunk a Worker emits.
const OutputRate = 48000

// Sink receives the audio of one utterance stream. An engine calls it from
// any goroutine; calls for one stream must not overlap. After the stream is
// interrupted the sink drops everything, so engines need not race to stop.
type Sink interface {
	// PCM delivers mono signed 16-bit samples at the engine's own rate.
	PCM(samples []int16, rate int)
	// OGG delivers an OGG/Opus page group that is passed through unchanged.
	OGG(pages []byte)
}

// Engine is one TTS backend. Implementations are safe for use by one Worker;
// a Worker opens one Stream per speech id, at most one at a time.
type Engine interface {
	// Name is a short identifier ("qwen", "offline", …) used in logs and errors.
	Name() string
	// Prepare checks the engine can speak (connects, starts a process, loads
	// a voice) and returns when it is ready or ctx ends. The Worker bounds it
	// with its ready timeout.
	Prepare(ctx context.Context) error
	// Start opens the stream of one utterance. Audio goes to sink until the
	// stream ends; cancelling ctx aborts the stream (the interrupt).
	Start(ctx context.Context, speechID string, sink Sink) (Stream, error)
	// Close releases connections and processes.
	Close() error
}

// Stream is one utterance being synthesised.
type Stream interface {
	// Write queues more text. It must not block on synthesis.
	Write(text string) error
	// Finish marks the end of the utterance: remaining text is flushed and
	// Done closes once all audio has been delivered.
	Finish() error
	// Done is closed when the stream has delivered all its audio, failed,
	// or was aborted.
	Done() <-chan struct{}
	// Err reports why the stream failed, after Done is closed (nil on
	// success or abort).
	Err() error
}
