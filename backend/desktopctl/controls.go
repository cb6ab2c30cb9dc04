// Package desktopctl holds the switches of the desktop tray — mute the
// microphone, mute her voice, voice-only mode — and applies them to the
// conversation engine: muted mic audio is dropped unheard, a muted voice is
// neither synthesised nor played anywhere (text still streams), and in
// voice-only mode speech plays on this computer through the local player
// while the window is hidden. Pages are told of every change over their
// WebSocket ({"type":"desktop_controls",...}) and read the state at
// GET /api/desktop/controls when they load.
package desktopctl

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"neko/backend/audio"
	"neko/backend/httpjson"
	"neko/backend/tts"
)

// MessageType is the type of the WebSocket message pages get on a change.
const MessageType = "desktop_controls"

// State is what the tray shows as checkboxes.
type State struct {
	MicMuted   bool `json:"mic_muted"`
	VoiceMuted bool `json:"voice_muted"`
	VoiceOnly  bool `json:"voice_only"`
}

// Message is the WebSocket message that mirrors State in the pages.
type Message struct {
	Type string `json:"type"`
	State
}

// Player is the local player as the controls drive it (*audio.Player).
type Player interface {
	audio.LocalSink
	Run(ctx context.Context)
	SetMuted(m bool)
	SetLipSyncHandler(fn func(audio.LipSync))
}

// Config wires the controls. The zero value works: the local player is
// audio.NewPlayer, opened the first time voice-only needs it.
type Config struct {
	// OpenPlayer opens the local audio output (default audio.NewPlayer).
	// It is called at most once, when voice-only is first switched on, so
	// a server that never needs it never touches the audio device.
	OpenPlayer func(log *slog.Logger) Player
	Log        *slog.Logger
}

// Controls are the desktop switches of one main server.
type Controls struct {
	open func(log *slog.Logger) Player
	log  *slog.Logger
	fan  *audio.Fanout
	sink *lazySink
	mic  atomic.Bool
	mute atomic.Bool

	mu     sync.Mutex
	st     State
	notify func(msg any)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New makes the controls with everything on (nothing muted, window mode).
// Close stops the local player if it was opened.
func New(cfg Config) *Controls {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.OpenPlayer == nil {
		cfg.OpenPlayer = func(log *slog.Logger) Player { return audio.NewPlayer(audio.PlayerConfig{}, log) }
	}
	c := &Controls{open: cfg.OpenPlayer, log: cfg.Log.With("component", "desktopctl"), sink: &lazySink{}}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.fan = audio.NewFanout(audio.FanoutConfig{Mode: audio.ModeStream}, c.sink, cfg.Log)
	return c
}

// Fanout is the speech fan-out the engine must use (session.Deps.Fanout):
// it carries the local player and obeys the voice switches.
func (c *Controls) Fanout() *audio.Fanout { return c.fan }

// MicMuted reports whether mic audio is to be dropped (session.Deps.Desktop).
func (c *Controls) MicMuted() bool { return c.mic.Load() }

// TTS wraps the engine's voice choice: while her voice is muted no engine
// is returned, so nothing is synthesised (the engine treats nil as silent).
func (c *Controls) TTS(inner func(character string) (tts.Engine, error)) func(character string) (tts.Engine, error) {
	return func(character string) (tts.Engine, error) {
		if c.mute.Load() {
			return nil, nil
		}
		return inner(character)
	}
}

// SetNotify sets how pages are told of a change (the hub's Send to every
// socket).
func (c *Controls) SetNotify(fn func(msg any)) {
	c.mu.Lock()
	c.notify = fn
	c.mu.Unlock()
}

// State returns the current switches.
func (c *Controls) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

// Set applies new switches and tells the pages. Switching voice-only on
// the first time opens the local player (this may take up to a second
// while the audio device starts).
func (c *Controls) Set(s State) {
	c.mu.Lock()
	c.mic.Store(s.MicMuted)
	c.mute.Store(s.VoiceMuted)
	c.fan.SetMuted(s.VoiceMuted)
	if s.VoiceOnly {
		c.openPlayerLocked()
	}
	if p := c.sink.get(); p != nil {
		p.SetMuted(s.VoiceMuted)
	}
	if s.VoiceOnly {
		c.fan.SetMode(audio.ModeLocal) // with no usable device the fan-out keeps streaming
	} else {
		c.fan.SetMode(audio.ModeStream)
	}
	c.st = s
	notify := c.notify
	c.mu.Unlock()
	if notify != nil {
		notify(Message{Type: MessageType, State: s})
	}
	c.log.Info("desktop controls", "mic_muted", s.MicMuted, "voice_muted", s.VoiceMuted, "voice_only", s.VoiceOnly)
}

func (c *Controls) openPlayerLocked() {
	if c.sink.get() != nil || c.ctx.Err() != nil {
		return
	}
	p := c.open(c.log)
	p.SetLipSyncHandler(c.fan.OnPlayerLipSync)
	c.sink.set(p)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		p.Run(c.ctx)
	}()
}

// Close stops the local player (if it was opened) and detaches the pages
// from the fan-out.
func (c *Controls) Close() {
	c.cancel()
	c.wg.Wait()
	c.fan.Close()
}

// maxBody bounds a POST to the controls route.
const maxBody = 4 << 10

// Handler serves GET (the state) and POST (new state as JSON, answered
// with the state applied) for /api/desktop/controls.
func (c *Controls) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			var s State
			if !httpjson.DecodeOrError(w, r, &s, maxBody) {
				return
			}
			c.Set(s)
		default:
			w.Header().Set("Allow", "GET, POST")
			httpjson.Error(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET or POST")
			return
		}
		httpjson.Write(w, http.StatusOK, c.State())
	})
}

// lazySink is the fan-out's local sink: unavailable until the player is
// opened, then the player itself.
type lazySink struct{ p atomic.Pointer[playerBox] }

type playerBox struct{ p Player }

func (l *lazySink) get() Player {
	if b := l.p.Load(); b != nil {
		return b.p
	}
	return nil
}

func (l *lazySink) set(p Player) { l.p.Store(&playerBox{p}) }

func (l *lazySink) Available() bool {
	p := l.get()
	return p != nil && p.Available()
}

func (l *lazySink) Enqueue(speechID string, pcm []int16) {
	if p := l.get(); p != nil {
		p.Enqueue(speechID, pcm)
	}
}

func (l *lazySink) EndSpeech(speechID string) {
	if p := l.get(); p != nil {
		p.EndSpeech(speechID)
	}
}

func (l *lazySink) Interrupt(speechID string) {
	if p := l.get(); p != nil {
		p.Interrupt(speechID)
	}
}

var _ Player = (*audio.Player)(nil)
