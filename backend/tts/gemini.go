package tts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// GeminiConfig configures Gemini TTS.
type GeminiConfig struct {
	BaseURL          string // default https://generativelanguage.googleapis.com
	Model            string // default gemini-2.5-flash-preview-tts
	APIKey           string
	Voice            string // default Leda
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// Gemini speaks with `models/{model}:generateContent` and
// responseModalities AUDIO; the answer is base64 L16 PCM (24 kHz) in
// candidates[0].content.parts[].inlineData.
type Gemini struct {
	cfg    GeminiConfig
	client *http.Client
}

// NewGemini returns the Gemini TTS engine.
func NewGemini(cfg GeminiConfig) *Gemini {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://generativelanguage.googleapis.com"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Model == "" {
		cfg.Model = "gemini-2.5-flash-preview-tts"
	}
	if cfg.Voice == "" {
		cfg.Voice = "Leda"
	}
	return &Gemini{cfg: cfg, client: httpClient(cfg.HandshakeTimeout)}
}

// Name implements Engine.
func (e *Gemini) Name() string { return "gemini" }

// Prepare implements Engine; the endpoint has no session to open.
func (e *Gemini) Prepare(ctx context.Context) error { return nil }

// Close implements Engine; the connections stay in the shared pool.
func (e *Gemini) Close() error { return nil }

// Start implements Engine.
func (e *Gemini) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	return newSeqStream(ctx, sink, 600, e.synth), nil
}

type geminiResponse struct {
	Candidates []struct {
		Content struct {
			Parts []struct {
				InlineData *struct {
					MimeType string `json:"mimeType"`
					Data     string `json:"data"`
				} `json:"inlineData"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
}

func (e *Gemini) synth(ctx context.Context, text string, sink Sink) error {
	h := http.Header{}
	h.Set("x-goog-api-key", e.cfg.APIKey)
	prompt := "Say the text with a proper tone, don't omit or add any words:\n\"" + text + "\""
	body := map[string]any{
		"contents": []any{map[string]any{"parts": []any{map[string]any{"text": prompt}}}},
		"generationConfig": map[string]any{
			"responseModalities": []string{"AUDIO"},
			"speechConfig": map[string]any{"voiceConfig": map[string]any{
				"prebuiltVoiceConfig": map[string]any{"voiceName": e.cfg.Voice}}},
		},
	}
	u := e.cfg.BaseURL + "/v1beta/models/" + url.PathEscape(e.cfg.Model) + ":generateContent"
	rc, _, err := postJSON(ctx, "gemini", e.client, u, h, body)
	if err != nil {
		return err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("gemini: read: %w", err)
	}
	var r geminiResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("gemini: bad response: %w", err)
	}
	if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		return &ProviderError{Engine: "gemini", Code: r.PromptFeedback.BlockReason, Msg: "prompt blocked by safety policy"}
	}
	got := false
	for _, c := range r.Candidates {
		for _, p := range c.Content.Parts {
			if p.InlineData == nil || p.InlineData.Data == "" {
				continue
			}
			pcm, err := base64.StdEncoding.DecodeString(p.InlineData.Data)
			if err != nil {
				return fmt.Errorf("gemini: bad audio: %w", err)
			}
			got = true
			deliverPCM(ctx, sink, bytesToInt16(pcm), mimeRate(p.InlineData.MimeType, 24000))
		}
	}
	if !got {
		return fmt.Errorf("gemini: %w", ErrNoAudio)
	}
	return nil
}

// mimeRate reads rate=N from a mime type such as
// "audio/L16;codec=pcm;rate=24000".
func mimeRate(mime string, def int) int {
	for _, part := range strings.Split(mime, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "rate="); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return n
			}
		}
	}
	return def
}
