package tts

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// OpenAIConfig configures OpenAI `/v1/audio/speech` or any compatible
// server (Kokoro, a local CosyVoice OpenAI server, …).
type OpenAIConfig struct {
	BaseURL string // default https://api.openai.com/v1
	Model   string // default gpt-4o-mini-tts
	APIKey  string
	Voice   string // default marin
	// Instructions steer the voice (gpt-4o-mini-tts); empty sends none.
	Instructions string
	// HandshakeTimeout bounds the wait for response headers.
	HandshakeTimeout time.Duration
	Logger           *slog.Logger
}

// OpenAISampleRate is the rate of response_format "pcm".
const OpenAISampleRate = 24000

// OpenAI speaks with the OpenAI speech endpoint, reading the PCM body as it
// streams. A compatible server that answers with WAV is decoded by its
// header's rate.
type OpenAI struct {
	cfg    OpenAIConfig
	client *http.Client
}

// NewOpenAI returns the OpenAI-compatible TTS engine.
func NewOpenAI(cfg OpenAIConfig) *OpenAI {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://api.openai.com/v1"
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Model == "" {
		cfg.Model = "gpt-4o-mini-tts"
	}
	if cfg.Voice == "" {
		cfg.Voice = "marin"
	}
	return &OpenAI{cfg: cfg, client: httpClient(cfg.HandshakeTimeout)}
}

// Name implements Engine.
func (e *OpenAI) Name() string { return "openai" }

// Prepare implements Engine; the endpoint has no session to open.
func (e *OpenAI) Prepare(ctx context.Context) error { return nil }

// Close implements Engine; the connections stay in the shared pool.
func (e *OpenAI) Close() error { return nil }

// Start implements Engine.
func (e *OpenAI) Start(ctx context.Context, speechID string, sink Sink) (Stream, error) {
	return newSeqStream(ctx, sink, 600, e.synth), nil
}

func (e *OpenAI) synth(ctx context.Context, text string, sink Sink) error {
	h := http.Header{}
	if e.cfg.APIKey != "" {
		h.Set("Authorization", "Bearer "+e.cfg.APIKey)
	}
	body := map[string]any{"model": e.cfg.Model, "voice": e.cfg.Voice, "input": text, "response_format": "pcm"}
	if e.cfg.Instructions != "" {
		body["instructions"] = e.cfg.Instructions
	}
	rc, _, err := postJSON(ctx, "openai", e.client, e.cfg.BaseURL+"/audio/speech", h, body)
	if err != nil {
		return err
	}
	defer rc.Close()
	return streamPCMBody(rc, sink, OpenAISampleRate, "openai")
}

// streamPCMBody forwards a raw s16le body (or a streamed WAV) to sink as it
// arrives, keeping an odd byte for the next read.
func streamPCMBody(r io.Reader, sink Sink, rate int, engine string) error {
	buf := make([]byte, 8192)
	var carry []byte
	first := true
	total := 0
	for {
		n, err := r.Read(buf)
		if n > 0 {
			data := append(carry, buf[:n]...)
			if first {
				if len(data) < 44 && err == nil && string(data[:min(4, len(data))]) == "RIFF"[:min(4, len(data))] {
					carry = data // wait for the whole header
					continue
				}
				first = false
				if len(data) >= 44 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE" {
					if r2 := int(binary.LittleEndian.Uint32(data[24:28])); r2 > 0 {
						rate = r2
					}
					data = skipWAVHeader(data)
				}
			}
			even := len(data) &^ 1
			if even > 0 {
				sink.PCM(bytesToInt16(data[:even]), rate)
				total += even
			}
			carry = append([]byte(nil), data[even:]...)
		}
		if errors.Is(err, io.EOF) {
			if total == 0 {
				return fmt.Errorf("%s: %w", engine, ErrNoAudio)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: read audio: %w", engine, err)
		}
	}
}

// skipWAVHeader returns the bytes after the "data" chunk header.
func skipWAVHeader(b []byte) []byte {
	p := 12
	for p+8 <= len(b) {
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		if string(b[p:p+4]) == "data" {
			return b[p+8:]
		}
		if size < 0 || p+8+size > len(b) {
			break
		}
		p += 8 + size + size%2
	}
	return b[min(44, len(b)):]
}
