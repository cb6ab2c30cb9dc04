package tts

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gorilla/websocket"
)

// maxOnceAudio caps a one-shot synthesis (a voice preview).
const maxOnceAudio = 16 << 20

// SynthesizeOnce speaks text in one task and returns the encoded audio
// (format "mp3" at 22050 Hz is what the voice preview serves). It is used
// outside conversations, so it opens its own socket.
func (e *CosyVoice) SynthesizeOnce(ctx context.Context, text, format string, sampleRate int) ([]byte, error) {
	c, err := e.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	task := newTaskID()
	hdr := func(action string) map[string]any {
		return map[string]any{"action": action, "task_id": task, "streaming": "duplex"}
	}
	params := map[string]any{"text_type": "PlainText", "voice": e.cfg.Voice, "format": format, "sample_rate": sampleRate, "rate": e.cfg.Rate}
	if hasKana(text) {
		params["language_hints"] = []string{"ja"}
	}
	if err := writeJSONDeadline(c, map[string]any{"header": hdr("run-task"), "payload": map[string]any{
		"task_group": "audio", "task": "tts", "function": "SpeechSynthesizer", "model": e.cfg.Model,
		"parameters": params, "input": map[string]any{}}}); err != nil {
		return nil, fmt.Errorf("cosyvoice: %w", err)
	}
	var audio []byte
	started := false
	for {
		kind, msg, err := c.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("cosyvoice: %w", err)
		}
		if kind == websocket.BinaryMessage {
			if len(audio)+len(msg) > maxOnceAudio {
				return nil, fmt.Errorf("cosyvoice: preview audio over %d bytes", maxOnceAudio)
			}
			audio = append(audio, msg...)
			continue
		}
		var ev cosyEvent
		if err := json.Unmarshal(msg, &ev); err != nil {
			return nil, fmt.Errorf("cosyvoice: bad event: %w", err)
		}
		switch ev.Header.Event {
		case "task-failed":
			return nil, &ProviderError{Engine: "cosyvoice", Code: ev.Header.ErrorCode, Msg: ev.Header.ErrorMessage}
		case "task-started":
			if started {
				continue
			}
			started = true
			if err := writeJSONDeadline(c, map[string]any{"header": hdr("continue-task"), "payload": map[string]any{"input": map[string]any{"text": text}}}); err != nil {
				return nil, fmt.Errorf("cosyvoice: %w", err)
			}
			if err := writeJSONDeadline(c, map[string]any{"header": hdr("finish-task"), "payload": map[string]any{"input": map[string]any{}}}); err != nil {
				return nil, fmt.Errorf("cosyvoice: %w", err)
			}
		case "task-finished":
			if len(audio) == 0 {
				return nil, fmt.Errorf("cosyvoice: %w", ErrNoAudio)
			}
			return audio, nil
		}
	}
}
