package llm

import (
	"context"
	"log/slog"
	"strings"
	"time"
)

// EventKind tells what a RealtimeEvent carries.
type EventKind int

// Realtime event kinds.
const (
	EventText            EventKind = iota + 1 // assistant text delta (text or audio transcript)
	EventTextDone                             // assistant transcript of the response complete (Text)
	EventAudio                                // assistant audio: PCM16 LE mono 24 kHz in Audio
	EventInputTranscript                      // the user's speech as text (Text)
	EventSpeechStarted                        // provider VAD: the user started speaking
	EventSpeechStopped                        // provider VAD: the user stopped speaking
	EventResponseCreated                      // a response began (ResponseID)
	EventResponseDone                         // a response ended (ResponseID)
	EventStatus                               // non-fatal provider condition (Code, Err)
	EventError                                // fatal: the session is closing (Code, Err)
)

func (k EventKind) String() string {
	names := [...]string{"", "text", "text_done", "audio", "input_transcript", "speech_started", "speech_stopped",
		"response_created", "response_done", "status", "error"}
	if int(k) < len(names) {
		return names[k]
	}
	return "unknown"
}

// RealtimeEvent is one thing the provider told us.
type RealtimeEvent struct {
	Kind       EventKind
	Text       string
	Audio      []byte
	ResponseID string
	Code       string // for EventStatus / EventError: one of the Code* constants
	Err        error
}

// Realtime is a live voice session with a provider. Audio in is PCM16 LE
// mono 16 kHz; audio out (EventAudio) is PCM16 LE mono 24 kHz. Sends are
// safe for concurrent use; Events is closed when the session ends, after
// which Err tells why (nil after Close).
type Realtime interface {
	SendAudio(ctx context.Context, pcm16k []byte) error
	SendImage(ctx context.Context, jpeg []byte) error
	// CreateResponse asks for an answer to text (a user or system line);
	// skipped suppresses every delta of that response (warm-up, priming).
	CreateResponse(ctx context.Context, text string, skipped bool) error
	CancelResponse(ctx context.Context) error
	ClearInput(ctx context.Context) error
	// Warmup runs a skipped empty response and waits for it to finish, so
	// the provider caches the prompt. It is a no-op for free and gemini.
	Warmup(ctx context.Context) error
	Events() <-chan RealtimeEvent
	Err() error
	Close() error
}

// Realtime provider families.
const (
	FamilyQwen   = "qwen"
	FamilyOpenAI = "openai"
	FamilyGLM    = "glm"
	FamilyStep   = "step"
	FamilyFree   = "free"
	FamilyGemini = "gemini"
	FamilyCustom = "custom"
)

// RealtimeConfig configures Dial.
type RealtimeConfig struct {
	// Family picks the session configuration; "" derives it from the model
	// name as the original does (substrings glm, qwen, gpt, step, free,
	// gemini), falling back to FamilyCustom.
	Family       string
	URL          string // ws(s) URL; for Gemini the host base (wss://generativelanguage.googleapis.com)
	APIKey       string
	Model        string
	Instructions string
	Voice        string // "" → the family's default voice
	TextOnly     bool   // external TTS: ask for text only
	// MaxInFlight bounds queued sends (default 25).
	MaxInFlight int
	// ThrottleFor is how long audio is dropped after an "overloaded" error
	// (default 2 s).
	ThrottleFor      time.Duration
	HandshakeTimeout time.Duration // default 15 s
	WarmupTimeout    time.Duration // longest Warmup waits before cancelling the warm-up (default 10 s)
	Logger           *slog.Logger
}

// ResolveFamily returns cfg.Family or the family implied by the model name.
func (cfg RealtimeConfig) ResolveFamily() string {
	if cfg.Family != "" {
		return cfg.Family
	}
	m := strings.ToLower(cfg.Model)
	switch {
	case strings.Contains(m, "gemini"):
		return FamilyGemini
	case strings.Contains(m, "glm"):
		return FamilyGLM
	case strings.Contains(m, "qwen"):
		return FamilyQwen
	case strings.Contains(m, "gpt"):
		return FamilyOpenAI
	case strings.Contains(m, "step"):
		return FamilyStep
	case strings.Contains(m, "free"):
		return FamilyFree
	}
	return FamilyCustom
}

func (cfg *RealtimeConfig) defaults() {
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 25
	}
	if cfg.ThrottleFor <= 0 {
		cfg.ThrottleFor = 2 * time.Second
	}
	if cfg.WarmupTimeout <= 0 {
		cfg.WarmupTimeout = 10 * time.Second
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
}

// DialRealtime connects to the provider, configures the session and
// returns it. Gemini gets its own BidiGenerateContent client; every other
// family speaks the OpenAI-Realtime event protocol.
func DialRealtime(ctx context.Context, cfg RealtimeConfig) (Realtime, error) {
	cfg.defaults()
	cfg.Family = cfg.ResolveFamily()
	if cfg.Family == FamilyGemini {
		return dialGemini(ctx, cfg)
	}
	return dialOpenAIRealtime(ctx, cfg)
}

// Traits are what the conversation engine must know about a family.
type Traits struct {
	ServerVAD        bool // the provider reports speech_started/stopped (else run client VAD)
	SilenceAutoClose bool // end the voice session after 90 s of silence (GLM, free)
	WarmUp           bool // run Warmup after connecting
	InputRate        int  // PCM16 rate SendAudio expects
	OutputRate       int  // PCM16 rate of EventAudio
}

// FamilyTraits returns the traits of a family (see RealtimeConfig.ResolveFamily).
func FamilyTraits(family string) Traits {
	t := Traits{ServerVAD: true, WarmUp: true, InputRate: 16000, OutputRate: 24000}
	switch family {
	case FamilyGemini:
		t.ServerVAD, t.WarmUp = false, false
	case FamilyFree:
		t.ServerVAD, t.WarmUp, t.SilenceAutoClose = false, false, true
	case FamilyGLM:
		t.SilenceAutoClose = true
	}
	return t
}
