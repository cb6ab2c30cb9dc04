package tts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// StepConfig configures the StepFun TTS engine (also the free tier).
type StepConfig struct {
	URL    string // default wss://api.stepfun.com/v1/realtime/audio
	Model  string // default step-tts-2
	APIKey string
	Voice  string // default qingchunshaonv
	// LanguageCode is sent with tts.create when set (the free tier abroad).
	LanguageCode     string
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// StepSampleRate is the rate StepFun TTS is asked for.
const StepSampleRate = 24000

// Step speaks through StepFun's realtime TTS WebSocket: tts.connection.done
// → tts.create → tts.response.created, then tts.text.delta per clause and
// tts.text.done at the end; audio comes as base64 WAV chunks in
// tts.response.audio.delta until tts.response.audio.done.
type Step struct {
	cfg   StepConfig
	spare spare
}

// NewStep returns the StepFun TTS engine.
func NewStep(cfg StepConfig) *Step {
	if cfg.URL == "" {
		cfg.URL = "wss://api.stepfun.com/v1/realtime/audio"
	}
	if cfg.Model == "" {
		cfg.Model = "step-tts-2"
	}
	if cfg.Voice == "" {
		cfg.Voice = "qingchunshaonv"
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	return &Step{cfg: cfg}
}

// Name implements Engine.
func (e *Step) Name() string { return "step" }

type stepEvent struct {
	Type string `json:"type"`
	Data struct {
		SessionID string `json:"session_id"`
		Audio     string `json:"audio"`
		Status    string `json:"status"`
		Code      any    `json:"code"`
		Message   string `json:"message"`
	} `json:"data"`
}

func parseStepEvent(msg []byte) (stepEvent, error) {
	var ev stepEvent
	if err := json.Unmarshal(msg, &ev); err != nil {
		return ev, fmt.Errorf("step: bad event: %w", err)
	}
	if ev.Type == "tts.response.error" || ev.Type == "error" {
		return ev, &ProviderError{Engine: "step", Code: anyString(ev.Data.Code), Msg: ev.Data.Message}
	}
	return ev, nil
}

// connect dials and runs the handshake; it returns the session id.
func (e *Step) connect(ctx context.Context) (*websocket.Conn, string, error) {
	u, err := url.Parse(e.cfg.URL)
	if err != nil {
		return nil, "", fmt.Errorf("step: bad url: %w", err)
	}
	qs := u.Query()
	qs.Set("model", e.cfg.Model)
	u.RawQuery = qs.Encode()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+e.cfg.APIKey)
	c, err := dialWS(ctx, "step", u.String(), h, e.cfg.HandshakeTimeout)
	if err != nil {
		return nil, "", err
	}
	var session string
	err = readJSONUntil(ctx, "step", c, e.cfg.HandshakeTimeout, func(msg []byte) (bool, error) {
		ev, err := parseStepEvent(msg)
		if err != nil {
			return false, err
		}
		if ev.Type != "tts.connection.done" {
			return false, nil
		}
		session = ev.Data.SessionID
		data := map[string]any{"session_id": session, "voice_id": e.cfg.Voice, "response_format": "wav", "sample_rate": StepSampleRate}
		if e.cfg.LanguageCode != "" {
			data["language_code"] = e.cfg.LanguageCode
		}
		return true, writeJSONDeadline(c, map[string]any{"type": "tts.create", "data": data})
	})
	if err == nil && session == "" {
		err = fmt.Errorf("step: no session id")
	}
	if err == nil {
		err = readJSONUntil(ctx, "step", c, e.cfg.HandshakeTimeout, func(msg []byte) (bool, error) {
			ev, err := parseStepEvent(msg)
			return err == nil && ev.Type == "tts.response.created", err
		})
	}
	if err != nil {
		c.Close()
		return nil, "", err
	}
	return c, session, nil
}

// Prepare keeps a greeted session for the first utterance.
func (e *Step) Prepare(ctx context.Context) error {
	c, session, err := e.connect(ctx)
	if err != nil {
		return err
	}
	e.spare.put(c, session)
	return nil
}

// Start implements Engine.
func (e *Step) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	c, session := e.spare.take()
	if c == nil {
		var err error
		if c, session, err = e.connect(ctx); err != nil {
			return nil, err
		}
	}
	s := &stepStream{wsStream: newWSStream(ctx, "step", c), session: session}
	go s.read(sink)
	return s, nil
}

// Close implements Engine.
func (e *Step) Close() error {
	e.spare.close()
	return nil
}

type stepStream struct {
	*wsStream
	session string
}

func (s *stepStream) Write(text string) error {
	return s.sendJSON(map[string]any{"type": "tts.text.delta", "data": map[string]any{"session_id": s.session, "text": text}})
}

func (s *stepStream) Finish() error {
	s.watchAfterFinish(DefaultIdleTimeout)
	return s.sendJSON(map[string]any{"type": "tts.text.done", "data": map[string]any{"session_id": s.session}})
}

func (s *stepStream) read(sink Sink) {
	for {
		_, msg, err := s.conn.ReadMessage()
		if err != nil {
			s.end(s.readErr(err))
			return
		}
		s.touch()
		ev, err := parseStepEvent(msg)
		if err != nil {
			s.end(err)
			return
		}
		switch ev.Type {
		case "tts.response.audio.delta":
			b, err := base64.StdEncoding.DecodeString(ev.Data.Audio)
			if err != nil {
				s.end(fmt.Errorf("step: bad audio delta: %w", err))
				return
			}
			deliverAudioBlob(sink, b, StepSampleRate)
		case "tts.response.audio.done", "tts.response.done":
			s.end(nil)
			return
		}
	}
}

// deliverAudioBlob hands a provider chunk to sink: a WAV chunk is decoded
// with its own rate, anything else is raw s16le at rate.
func deliverAudioBlob(sink Sink, b []byte, rate int) {
	if len(b) >= 12 && string(b[:4]) == "RIFF" {
		if s, r, err := ParseWAV(b); err == nil {
			sink.PCM(s, r)
			return
		}
	}
	sink.PCM(bytesToInt16(b), rate)
}
