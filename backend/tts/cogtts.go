package tts

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// CogTTSConfig configures GLM CogTTS (Zhipu).
type CogTTSConfig struct {
	BaseURL          string // default https://open.bigmodel.cn/api/paas/v4
	Model            string // default cogtts
	APIKey           string
	Voice            string // default tongtong
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// CogTTS speaks with Zhipu's `POST /audio/speech` in SSE mode: each
// `data:` frame carries base64 PCM in choices[0].delta.content at
// delta.return_sample_rate. Input is capped at 1024 characters per call;
// the watermark beeps at the start of each answer are cut.
type CogTTS struct {
	cfg    CogTTSConfig
	client *http.Client
}

// NewCogTTS returns the CogTTS engine.
func NewCogTTS(cfg CogTTSConfig) *CogTTS {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://open.bigmodel.cn/api/paas/v4"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Model == "" {
		cfg.Model = "cogtts"
	}
	if cfg.Voice == "" {
		cfg.Voice = "tongtong"
	}
	return &CogTTS{cfg: cfg, client: httpClient(cfg.HandshakeTimeout)}
}

// Name implements Engine.
func (e *CogTTS) Name() string { return "cogtts" }

// Prepare implements Engine; the endpoint has no session to open.
func (e *CogTTS) Prepare(ctx context.Context) error { return nil }

// Close implements Engine; the connections stay in the shared pool.
func (e *CogTTS) Close() error { return nil }

// Start implements Engine.
func (e *CogTTS) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	return newSeqStream(ctx, sink, 1000, e.synth), nil
}

type cogFrame struct {
	Choices []struct {
		Delta struct {
			Content          string `json:"content"`
			ReturnSampleRate int    `json:"return_sample_rate"`
			ReturnFormat     string `json:"return_format"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Error *struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (e *CogTTS) synth(ctx context.Context, text string, sink Sink) error {
	if r := []rune(text); len(r) > 1024 {
		text = string(r[:1024])
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+e.cfg.APIKey)
	h.Set("Accept", "text/event-stream")
	body := map[string]any{"model": e.cfg.Model, "input": text, "voice": e.cfg.Voice, "response_format": "pcm",
		"encode_format": "base64", "speed": 1.0, "volume": 1.0, "stream": true}
	rc, _, err := postJSON(ctx, "cogtts", e.client, e.cfg.BaseURL+"/audio/speech", h, body)
	if err != nil {
		return err
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), maxProviderMessage)
	got := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			break
		}
		var f cogFrame
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return fmt.Errorf("cogtts: bad SSE frame: %w", err)
		}
		if f.Error != nil {
			return &ProviderError{Engine: "cogtts", Code: anyString(f.Error.Code), Msg: f.Error.Message}
		}
		for _, c := range f.Choices {
			if c.Delta.Content == "" {
				continue
			}
			pcm, err := base64.StdEncoding.DecodeString(c.Delta.Content)
			if err != nil {
				return fmt.Errorf("cogtts: bad audio: %w", err)
			}
			rate := c.Delta.ReturnSampleRate
			if rate <= 0 {
				rate = 24000
			}
			samples := bytesToInt16(pcm)
			if !got {
				samples = trimBeeps(samples, rate)
			}
			got = true
			sink.PCM(samples, rate)
		}
	}
	if err := sc.Err(); err != nil {
		if ctx.Err() != nil || errors.Is(err, context.Canceled) {
			return ctx.Err()
		}
		return fmt.Errorf("cogtts: read: %w", err)
	}
	if !got {
		return fmt.Errorf("cogtts: %w", ErrNoAudio)
	}
	return nil
}
