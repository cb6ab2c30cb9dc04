package tts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// LocalCosyVoiceRate is the PCM rate of the local CosyVoice server.
const LocalCosyVoiceRate = 22050

// LocalCosyVoiceConfig configures a local CosyVoice server (the
// OpenAI-compatible bistream server of the original's local_server).
type LocalCosyVoiceConfig struct {
	BaseURL string // ws:// or wss:// custom TTS URL
	// Voice is "name" or "name:speed"; "" means 中文女 at 1.0.
	Voice            string
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// LocalCosyVoice speaks through `/v1/audio/speech/stream`: a config
// message {"voice","speed"}, {"text"} per clause, {"event":"end"}; the
// server answers with binary PCM16 at 22050 Hz and closes when done.
type LocalCosyVoice struct {
	cfg   LocalCosyVoiceConfig
	voice string
	speed float64
	spare spare
}

// ParseLocalVoice splits "name:speed" (speed defaults to 1.0).
func ParseLocalVoice(v string) (string, float64) {
	name, sp, has := strings.Cut(strings.TrimSpace(v), ":")
	if name == "" {
		name = "中文女"
	}
	speed := 1.0
	if has {
		if f, err := strconv.ParseFloat(sp, 64); err == nil && f > 0 {
			speed = f
		}
	}
	return name, speed
}

// NewLocalCosyVoice returns the local CosyVoice engine.
func NewLocalCosyVoice(cfg LocalCosyVoiceConfig) *LocalCosyVoice {
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultIdleTimeout
	}
	v, sp := ParseLocalVoice(cfg.Voice)
	return &LocalCosyVoice{cfg: cfg, voice: v, speed: sp}
}

// Name implements Engine.
func (e *LocalCosyVoice) Name() string { return "local_cosyvoice" }

func (e *LocalCosyVoice) connect(ctx context.Context) (*websocket.Conn, error) {
	base := strings.TrimRight(e.cfg.BaseURL, "/")
	if !strings.HasPrefix(base, "ws://") && !strings.HasPrefix(base, "wss://") {
		return nil, fmt.Errorf("local_cosyvoice: URL %q must be ws:// or wss://", base)
	}
	c, err := dialWS(ctx, "local_cosyvoice", base+"/v1/audio/speech/stream", nil, e.cfg.HandshakeTimeout)
	if err != nil {
		return nil, err
	}
	if err := writeJSONDeadline(c, map[string]any{"voice": e.voice, "speed": e.speed}); err != nil {
		c.Close()
		return nil, fmt.Errorf("local_cosyvoice: %w", err)
	}
	return c, nil
}

// Prepare connects and sends the voice configuration.
func (e *LocalCosyVoice) Prepare(ctx context.Context) error {
	c, err := e.connect(ctx)
	if err != nil {
		return err
	}
	e.spare.put(c, "")
	return nil
}

// Start implements Engine.
func (e *LocalCosyVoice) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	c, _ := e.spare.take()
	if c == nil {
		var err error
		if c, err = e.connect(ctx); err != nil {
			return nil, err
		}
	}
	s := &localCosyStream{wsStream: newWSStream(ctx, "local_cosyvoice", c), idle: e.cfg.HandshakeTimeout}
	go s.read(sink)
	return s, nil
}

// Close implements Engine.
func (e *LocalCosyVoice) Close() error {
	e.spare.close()
	return nil
}

type localCosyStream struct {
	*wsStream
	idle  time.Duration
	ended atomic.Bool // {"event":"end"} was sent
}

func (s *localCosyStream) Write(text string) error {
	return s.sendJSON(map[string]any{"text": text})
}

func (s *localCosyStream) Finish() error {
	s.ended.Store(true)
	s.watchAfterFinish(s.idle)
	return s.sendJSON(map[string]any{"event": "end"})
}

func (s *localCosyStream) read(sink Sink) {
	var carry []byte
	for {
		kind, msg, err := s.conn.ReadMessage()
		if err != nil {
			// The server closes the socket when the utterance is done.
			var ce *websocket.CloseError
			if s.ended.Load() && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
				(errors.As(err, &ce) && ce.Code == websocket.CloseNormalClosure)) {
				s.end(nil)
				return
			}
			s.end(s.readErr(err))
			return
		}
		s.touch()
		if kind == websocket.BinaryMessage {
			data := append(carry, msg...)
			even := len(data) &^ 1
			if even > 0 {
				sink.PCM(bytesToInt16(data[:even]), LocalCosyVoiceRate)
			}
			carry = append([]byte(nil), data[even:]...)
			continue
		}
		var ev struct {
			Event string `json:"event"`
			Type  string `json:"type"`
			Error string `json:"error"`
		}
		if json.Unmarshal(msg, &ev) != nil {
			continue
		}
		switch {
		case ev.Error != "":
			s.end(&ProviderError{Engine: "local_cosyvoice", Msg: ev.Error})
			return
		case ev.Event == "done" || ev.Type == "done" || ev.Event == "end":
			s.end(nil)
			return
		}
	}
}
