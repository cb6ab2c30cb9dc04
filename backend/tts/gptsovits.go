package tts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// GSVVoicePrefix marks GPT-SoVITS voice ids ("gsv:<id>" or
// "gsv:<id>|{json extra params}").
const GSVVoicePrefix = "gsv:"

// GPTSoVITSConfig configures a GPT-SoVITS v3 server.
type GPTSoVITSConfig struct {
	// BaseURL is the custom TTS URL (http, https, ws or wss), e.g.
	// http://127.0.0.1:9881.
	BaseURL string
	// Voice is "gsv:<id>", "gsv:<id>|{json}", "<id>" or "" (_default).
	Voice string
	// HandshakeTimeout bounds connect + "ready"; it also bounds silence
	// after the end of an utterance (local GPUs: keep it generous).
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// GPTSoVITS speaks through GPT-SoVITS v3's stream-input WebSocket:
// {"cmd":"init","voice_id",…extra} → {"type":"ready"}, {"cmd":"append"}
// per clause, {"cmd":"end"} at the end; binary frames are complete WAV
// chunks at any rate; {"type":"done"} ends the utterance.
type GPTSoVITS struct {
	cfg     GPTSoVITSConfig
	url     string
	voiceID string
	extra   map[string]any
	spare   spare
}

// ParseGSVVoice splits a GPT-SoVITS voice id into the v3 id and its extra
// init parameters; a malformed JSON part is ignored.
func ParseGSVVoice(v string) (string, map[string]any) {
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), GSVVoicePrefix))
	id, rest, has := strings.Cut(v, "|")
	id = strings.TrimSpace(id)
	if id == "" {
		id = "_default"
	}
	var extra map[string]any
	if has && json.Unmarshal([]byte(rest), &extra) != nil {
		extra = nil
	}
	return id, extra
}

// gsvStreamURL turns the custom TTS URL into the stream-input endpoint.
func gsvStreamURL(base string) string {
	base = strings.TrimRight(strings.TrimSpace(base), "/")
	switch {
	case strings.HasPrefix(base, "http://"):
		base = "ws://" + base[len("http://"):]
	case strings.HasPrefix(base, "https://"):
		base = "wss://" + base[len("https://"):]
	case strings.HasPrefix(base, "ws://"), strings.HasPrefix(base, "wss://"):
	default:
		base = "ws://" + base
	}
	return base + "/api/v3/tts/stream-input"
}

// NewGPTSoVITS returns the GPT-SoVITS v3 engine.
func NewGPTSoVITS(cfg GPTSoVITSConfig) *GPTSoVITS {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://127.0.0.1:9881"
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultIdleTimeout
	}
	id, extra := ParseGSVVoice(cfg.Voice)
	return &GPTSoVITS{cfg: cfg, url: gsvStreamURL(cfg.BaseURL), voiceID: id, extra: extra}
}

// Name implements Engine.
func (e *GPTSoVITS) Name() string { return "gptsovits" }

type gsvEvent struct {
	Type    string `json:"type"`
	Message string `json:"message"`
	Text    string `json:"text"`
}

func (e *GPTSoVITS) connect(ctx context.Context) (*websocket.Conn, error) {
	c, err := dialWS(ctx, "gptsovits", e.url, nil, e.cfg.HandshakeTimeout)
	if err != nil {
		return nil, err
	}
	init := map[string]any{}
	for k, v := range e.extra {
		init[k] = v
	}
	init["cmd"] = "init"
	init["voice_id"] = e.voiceID
	err = writeJSONDeadline(c, init)
	if err == nil {
		err = readJSONUntil(ctx, "gptsovits", c, e.cfg.HandshakeTimeout, func(msg []byte) (bool, error) {
			var ev gsvEvent
			if err := json.Unmarshal(msg, &ev); err != nil {
				return false, fmt.Errorf("gptsovits: bad message: %w", err)
			}
			if ev.Type == "error" {
				return false, &ProviderError{Engine: "gptsovits", Msg: ev.Message}
			}
			return ev.Type == "ready", nil
		})
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Prepare connects and initialises the voice for the first utterance.
func (e *GPTSoVITS) Prepare(ctx context.Context) error {
	c, err := e.connect(ctx)
	if err != nil {
		return err
	}
	e.spare.put(c, "")
	return nil
}

// Start implements Engine.
func (e *GPTSoVITS) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	c, _ := e.spare.take()
	if c == nil {
		var err error
		if c, err = e.connect(ctx); err != nil {
			return nil, err
		}
	}
	s := &gsvStream{wsStream: newWSStream(ctx, "gptsovits", c), idle: e.cfg.HandshakeTimeout}
	go s.read(sink)
	return s, nil
}

// Close implements Engine.
func (e *GPTSoVITS) Close() error {
	e.spare.close()
	return nil
}

type gsvStream struct {
	*wsStream
	idle time.Duration
}

func (s *gsvStream) Write(text string) error {
	return s.sendJSON(map[string]any{"cmd": "append", "data": text})
}

func (s *gsvStream) Finish() error {
	s.watchAfterFinish(s.idle)
	return s.sendJSON(map[string]any{"cmd": "end"})
}

func (s *gsvStream) read(sink Sink) {
	for {
		kind, msg, err := s.conn.ReadMessage()
		if err != nil {
			s.end(s.readErr(err))
			return
		}
		s.touch()
		if kind == websocket.BinaryMessage {
			pcm, rate, err := ParseWAV(msg)
			if err != nil {
				s.end(fmt.Errorf("gptsovits: audio chunk: %w", err))
				return
			}
			sink.PCM(pcm, rate)
			continue
		}
		var ev gsvEvent
		if json.Unmarshal(msg, &ev) != nil {
			continue
		}
		switch ev.Type {
		case "error":
			s.end(&ProviderError{Engine: "gptsovits", Msg: ev.Message})
			return
		case "done":
			s.end(nil)
			return
		}
	}
}
