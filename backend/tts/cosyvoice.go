package tts

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"
	"unicode"

	"github.com/gorilla/websocket"
)

// CosyVoiceConfig configures DashScope CosyVoice for cloned voices.
type CosyVoiceConfig struct {
	URL    string // default wss://dashscope.aliyuncs.com/api-ws/v1/inference
	Model  string // default cosyvoice-v3.5-plus (the model voices are cloned with)
	APIKey string
	Voice  string // the cloned voice id
	Rate   float64
	// IdleFinish ends the task after this long without text (the server
	// drops a task idle for 23 s); zero means 15 s.
	IdleFinish       time.Duration
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// CosyVoice speaks a cloned voice through DashScope's duplex inference
// WebSocket (run-task, continue-task, finish-task) and passes the
// OGG/Opus 48 kHz audio through unchanged.
type CosyVoice struct {
	cfg   CosyVoiceConfig
	spare spare
}

// NewCosyVoice returns the DashScope CosyVoice engine.
func NewCosyVoice(cfg CosyVoiceConfig) *CosyVoice {
	if cfg.URL == "" {
		cfg.URL = "wss://dashscope.aliyuncs.com/api-ws/v1/inference"
	}
	if cfg.Model == "" {
		cfg.Model = "cosyvoice-v3.5-plus"
	}
	if cfg.Rate == 0 {
		cfg.Rate = 1.05
	}
	if cfg.IdleFinish <= 0 {
		cfg.IdleFinish = 15 * time.Second
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	return &CosyVoice{cfg: cfg}
}

// Name implements Engine.
func (e *CosyVoice) Name() string { return "cosyvoice" }

func (e *CosyVoice) dial(ctx context.Context) (*websocket.Conn, error) {
	h := http.Header{}
	h.Set("Authorization", "Bearer "+e.cfg.APIKey)
	return dialWS(ctx, "cosyvoice", e.cfg.URL, h, e.cfg.HandshakeTimeout)
}

// Prepare opens the socket the first utterance will use.
func (e *CosyVoice) Prepare(ctx context.Context) error {
	c, err := e.dial(ctx)
	if err != nil {
		return err
	}
	e.spare.put(c, "")
	return nil
}

// Close implements Engine.
func (e *CosyVoice) Close() error {
	e.spare.close()
	return nil
}

// Start implements Engine.
func (e *CosyVoice) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	c, _ := e.spare.take()
	if c == nil {
		var err error
		if c, err = e.dial(ctx); err != nil {
			return nil, err
		}
	}
	s := &cosyStream{
		wsStream: newWSStream(ctx, "cosyvoice", c),
		cfg:      e.cfg,
		cmds:     make(chan cosyCmd, 64),
		events:   make(chan string, 8),
	}
	go s.read(sink)
	go s.drive()
	return s, nil
}

type cosyCmd struct {
	text   string
	finish bool
}

type cosyStream struct {
	*wsStream
	cfg    CosyVoiceConfig
	buf    string // text below the 6-character minimum (writer side)
	cmds   chan cosyCmd
	events chan string // task-started / task-finished from the reader
}

func (s *cosyStream) push(c cosyCmd) error {
	select {
	case s.cmds <- c:
		return nil
	case <-s.done:
		return s.err
	}
}

// Write buffers text until it has at least 6 characters, as the original.
func (s *cosyStream) Write(text string) error {
	s.buf += text
	if runeLen(s.buf) < 6 {
		return nil
	}
	t := s.buf
	s.buf = ""
	return s.push(cosyCmd{text: t})
}

func (s *cosyStream) Finish() error {
	s.watchAfterFinish(DefaultIdleTimeout)
	if s.buf != "" {
		if err := s.push(cosyCmd{text: s.buf}); err != nil {
			return err
		}
		s.buf = ""
	}
	return s.push(cosyCmd{finish: true})
}

func (s *cosyStream) header(action, task string) map[string]any {
	return map[string]any{"action": action, "task_id": task, "streaming": "duplex"}
}

// drive runs the task state machine: run-task on the first text, then
// continue-task per text once task-started arrived, finish-task at the end
// or after IdleFinish without text; text after an idle finish starts a
// new task on the same socket.
func (s *cosyStream) drive() {
	const (
		idle = iota
		starting
		running
		finishing
	)
	state := idle
	var task string
	var queue []string
	final := false
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	arm := func(d time.Duration) {
		timer.Stop()
		select {
		case <-timer.C:
		default:
		}
		timer.Reset(d)
	}
	runTask := func(first string) error {
		task = newTaskID()
		params := map[string]any{"text_type": "PlainText", "voice": s.cfg.Voice, "format": "opus",
			"sample_rate": 48000, "bit_rate": 64, "rate": s.cfg.Rate}
		if hasKana(first) {
			params["language_hints"] = []string{"ja"}
		}
		state = starting
		arm(s.cfg.HandshakeTimeout)
		return s.sendJSON(map[string]any{"header": s.header("run-task", task), "payload": map[string]any{
			"task_group": "audio", "task": "tts", "function": "SpeechSynthesizer", "model": s.cfg.Model,
			"parameters": params, "input": map[string]any{}}})
	}
	cont := func(text string) error {
		return s.sendJSON(map[string]any{"header": s.header("continue-task", task), "payload": map[string]any{"input": map[string]any{"text": text}}})
	}
	finishTask := func() error {
		state = finishing
		arm(time.Hour)
		return s.sendJSON(map[string]any{"header": s.header("finish-task", task), "payload": map[string]any{"input": map[string]any{}}})
	}
	for {
		var err error
		select {
		case <-s.done:
			return
		case c := <-s.cmds:
			switch {
			case c.finish:
				final = true
				switch state {
				case idle:
					if len(queue) == 0 {
						s.end(nil)
						return
					}
				case running:
					err = finishTask()
				}
			case state == idle:
				queue = append(queue, c.text)
				err = runTask(c.text)
			case state == running:
				arm(s.cfg.IdleFinish)
				err = cont(c.text)
			default:
				queue = append(queue, c.text)
			}
		case ev := <-s.events:
			switch {
			case ev == "task-started" && state == starting:
				state = running
				arm(s.cfg.IdleFinish)
				for _, t := range queue {
					if err = cont(t); err != nil {
						break
					}
				}
				queue = nil
				if err == nil && final {
					err = finishTask()
				}
			case ev == "task-finished" && state == finishing:
				state = idle
				switch {
				case len(queue) > 0:
					err = runTask(queue[0])
				case final:
					s.end(nil)
					return
				}
			}
		case <-timer.C:
			switch state {
			case starting:
				err = fmt.Errorf("cosyvoice: %w: no task-started within %s", ErrReadyTimeout, s.cfg.HandshakeTimeout)
			case running:
				err = finishTask() // idle: end the task before the server drops it
			}
		}
		if err != nil {
			s.end(err)
			return
		}
	}
}

type cosyEvent struct {
	Header struct {
		Event        string `json:"event"`
		TaskID       string `json:"task_id"`
		ErrorCode    string `json:"error_code"`
		ErrorMessage string `json:"error_message"`
	} `json:"header"`
}

// read forwards OGG frames aggregated like the original (first packet
// ≥1024 B, then ≥4096 B) and task events to drive.
func (s *cosyStream) read(sink Sink) {
	var agg []byte
	first := true
	flush := func() {
		if len(agg) > 0 {
			sink.OGG(agg)
			agg = agg[:0]
		}
	}
	for {
		kind, msg, err := s.conn.ReadMessage()
		if err != nil {
			s.end(s.readErr(err))
			return
		}
		s.touch()
		if kind == websocket.BinaryMessage {
			agg = append(agg, msg...)
			if (first && len(agg) >= 1024) || len(agg) >= 4096 {
				first = false
				flush()
			}
			continue
		}
		var ev cosyEvent
		if err := json.Unmarshal(msg, &ev); err != nil {
			s.end(fmt.Errorf("cosyvoice: bad event: %w", err))
			return
		}
		switch ev.Header.Event {
		case "task-failed":
			s.end(&ProviderError{Engine: "cosyvoice", Code: ev.Header.ErrorCode, Msg: ev.Header.ErrorMessage})
			return
		case "task-finished":
			flush()
			fallthrough
		case "task-started":
			select {
			case s.events <- ev.Header.Event:
			case <-s.done:
				return
			}
		}
	}
}

func hasKana(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) {
			return true
		}
	}
	return false
}
