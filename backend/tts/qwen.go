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

// QwenConfig configures the Qwen realtime TTS engine (DashScope).
type QwenConfig struct {
	URL    string // default wss://dashscope.aliyuncs.com/api-ws/v1/realtime
	Model  string // default qwen3-tts-flash-realtime-2025-11-27
	APIKey string
	Voice  string // default Momo
	// HandshakeTimeout bounds connect + session.created; 0 is the default.
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// Qwen speaks through DashScope's realtime TTS WebSocket: session.update
// in server_commit mode, input_text_buffer.append per clause, commit and
// session.finish at the end, PCM 24 kHz from response.audio.delta.
type Qwen struct {
	cfg   QwenConfig
	spare spare
}

// QwenSampleRate is the PCM rate Qwen TTS is asked for.
const QwenSampleRate = 24000

// NewQwen returns the Qwen realtime TTS engine.
func NewQwen(cfg QwenConfig) *Qwen {
	if cfg.URL == "" {
		cfg.URL = "wss://dashscope.aliyuncs.com/api-ws/v1/realtime"
	}
	if cfg.Model == "" {
		cfg.Model = "qwen3-tts-flash-realtime-2025-11-27"
	}
	if cfg.Voice == "" {
		cfg.Voice = "Momo"
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	return &Qwen{cfg: cfg}
}

// Name implements Engine.
func (q *Qwen) Name() string { return "qwen" }

func (q *Qwen) connect(ctx context.Context) (*websocket.Conn, error) {
	u, err := url.Parse(q.cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("qwen: bad url: %w", err)
	}
	qs := u.Query()
	qs.Set("model", q.cfg.Model)
	u.RawQuery = qs.Encode()
	h := http.Header{}
	h.Set("Authorization", "Bearer "+q.cfg.APIKey)
	c, err := dialWS(ctx, "qwen", u.String(), h, q.cfg.HandshakeTimeout)
	if err != nil {
		return nil, err
	}
	err = readJSONUntil(ctx, "qwen", c, q.cfg.HandshakeTimeout, func(msg []byte) (bool, error) {
		ev, err := parseQwenEvent(msg)
		if err != nil {
			return false, err
		}
		return ev.Type == "session.created", nil
	})
	if err == nil {
		err = writeJSONDeadline(c, map[string]any{
			"event_id": newEventID(),
			"type":     "session.update",
			"session": map[string]any{
				"mode":            "server_commit",
				"voice":           q.cfg.Voice,
				"response_format": "pcm",
				"sample_rate":     QwenSampleRate,
				"channels":        1,
				"bit_rate":        128,
				"language_type":   "Auto",
			},
		})
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

type qwenEvent struct {
	Type  string `json:"type"`
	Delta string `json:"delta"`
	Error *struct {
		Type    string `json:"type"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func parseQwenEvent(msg []byte) (qwenEvent, error) {
	var ev qwenEvent
	if err := json.Unmarshal(msg, &ev); err != nil {
		return ev, fmt.Errorf("qwen: bad event: %w", err)
	}
	if ev.Type == "error" && ev.Error != nil {
		return ev, &ProviderError{Engine: "qwen", Code: firstNonEmpty(ev.Error.Code, ev.Error.Type), Msg: ev.Error.Message}
	}
	return ev, nil
}

// Prepare connects and keeps the greeted session for the first utterance.
func (q *Qwen) Prepare(ctx context.Context) error {
	c, err := q.connect(ctx)
	if err != nil {
		return err
	}
	q.spare.put(c, "")
	return nil
}

// Start implements Engine.
func (q *Qwen) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	c, _ := q.spare.take()
	if c == nil {
		var err error
		if c, err = q.connect(ctx); err != nil {
			return nil, err
		}
	}
	s := &qwenStream{wsStream: newWSStream(ctx, "qwen", c)}
	go s.read(sink)
	return s, nil
}

// Close implements Engine.
func (q *Qwen) Close() error {
	q.spare.close()
	return nil
}

type qwenStream struct{ *wsStream }

func (s *qwenStream) Write(text string) error {
	return s.sendJSON(map[string]any{"event_id": newEventID(), "type": "input_text_buffer.append", "text": text})
}

func (s *qwenStream) Finish() error {
	if err := s.sendJSON(map[string]any{"event_id": newEventID(), "type": "input_text_buffer.commit"}); err != nil {
		return err
	}
	s.watchAfterFinish(DefaultIdleTimeout)
	return s.sendJSON(map[string]any{"event_id": newEventID(), "type": "session.finish"})
}

func (s *qwenStream) read(sink Sink) {
	for {
		_, msg, err := s.conn.ReadMessage()
		if err != nil {
			s.end(s.readErr(err))
			return
		}
		s.touch()
		ev, err := parseQwenEvent(msg)
		if err != nil {
			s.end(err)
			return
		}
		switch ev.Type {
		case "response.audio.delta":
			pcm, err := base64.StdEncoding.DecodeString(ev.Delta)
			if err != nil {
				s.end(fmt.Errorf("qwen: bad audio delta: %w", err))
				return
			}
			sink.PCM(bytesToInt16(pcm), QwenSampleRate)
		case "session.finished":
			s.end(nil)
			return
		}
	}
}

// writeJSONDeadline writes one JSON message outside a stream.
func writeJSONDeadline(c *websocket.Conn, v any) error {
	_ = c.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	defer c.SetWriteDeadline(time.Time{})
	if err := c.WriteJSON(v); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}
