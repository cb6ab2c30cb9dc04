package llm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func (u *wireUsage) usage() Usage {
	if u == nil {
		return Usage{}
	}
	t := u.TotalTokens
	if t == 0 {
		t = u.PromptTokens + u.CompletionTokens
	}
	return Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: t}
}

type chatCompletion struct {
	Choices []struct {
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
	Error *wireError `json:"error"`
}

type chatChunk struct {
	Choices []struct {
		Delta struct {
			Content string `json:"content"`
		} `json:"delta"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
	Error *wireError `json:"error"`
}

// body builds the JSON request body.
func (c *ChatClient) body(req ChatRequest, stream bool) ([]byte, error) {
	if len(req.Messages) == 0 {
		return nil, errNoMessages
	}
	msgs := make([]any, 0, len(req.Messages))
	for _, m := range req.Messages {
		if len(m.Images) == 0 {
			msgs = append(msgs, map[string]any{"role": m.Role, "content": m.Content})
			continue
		}
		parts := make([]any, 0, len(m.Images)+1)
		for _, img := range m.Images {
			parts = append(parts, map[string]any{"type": "image_url", "image_url": map[string]any{"url": img}})
		}
		if m.Content != "" {
			parts = append(parts, map[string]any{"type": "text", "text": m.Content})
		}
		msgs = append(msgs, map[string]any{"role": m.Role, "content": parts})
	}
	b := map[string]any{"model": c.ep.Model, "messages": msgs, "stream": stream}
	if stream {
		b["stream_options"] = map[string]any{"include_usage": true}
	}
	if req.Temperature != nil {
		b["temperature"] = *req.Temperature
	}
	if req.MaxTokens > 0 {
		if usesMaxCompletionTokens(c.ep.Model) {
			b["max_completion_tokens"] = req.MaxTokens
		} else {
			b["max_tokens"] = req.MaxTokens
		}
	}
	if req.JSONMode {
		b["response_format"] = map[string]any{"type": "json_object"}
	}
	if c.autoExtra {
		for k, v := range ExtraBody(c.ep.Model) {
			b[k] = v
		}
	}
	for k, v := range req.Extra {
		if v == nil {
			delete(b, k)
			continue
		}
		b[k] = v
	}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("llm: encode request: %w", err)
	}
	return data, nil
}

var (
	dataPrefix = []byte("data:")
	doneMarker = []byte("[DONE]")
)

// readChatStream parses an OpenAI chat SSE stream into out, calling onDelta
// per content piece. A server that ignored stream:true and answered with one
// JSON object is accepted too.
func readChatStream(ctx context.Context, body io.Reader, w *watchdog, out *ChatResponse,
	onDelta func(string) error) error {
	br := bufio.NewReaderSize(body, 32<<10)
	var text bytes.Buffer
	defer func() { out.Text = text.String() }()
	var line []byte
	var scratch chatChunk
	first := true
	for {
		raw, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line = append(line[:0], raw...)
			for errors.Is(err, bufio.ErrBufferFull) {
				if len(line) > maxAnswerBytes {
					return &Error{Code: CodeResponseInvalid, Message: "SSE line too long"}
				}
				raw, err = br.ReadSlice('\n')
				line = append(line, raw...)
			}
			raw = line
		}
		if len(raw) > 0 {
			trimmed := bytes.TrimSpace(raw)
			if first && len(trimmed) > 0 && trimmed[0] == '{' {
				return readWholeJSON(br, raw, w, ctx, out, &text, onDelta)
			}
			if len(trimmed) > 0 {
				first = false
			}
			done, perr := handleSSELine(trimmed, w, out, &text, &scratch, onDelta)
			if perr != nil || done {
				return perr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				if out.FinishReason != "" {
					return nil // some servers omit [DONE]
				}
				return &Error{Code: CodeConnectionClosed, Message: "stream ended before [DONE]", Err: io.ErrUnexpectedEOF}
			}
			return w.wrapReadErr(ctx, err)
		}
	}
}

// handleSSELine processes one trimmed SSE line; done is true at [DONE].
func handleSSELine(line []byte, w *watchdog, out *ChatResponse, text *bytes.Buffer, scratch *chatChunk,
	onDelta func(string) error) (done bool, err error) {
	if !bytes.HasPrefix(line, dataPrefix) {
		return false, nil // blank line, comment (": keep-alive"), event:, id:, retry:
	}
	payload := bytes.TrimSpace(line[len(dataPrefix):])
	if bytes.Equal(payload, doneMarker) {
		return true, nil
	}
	if len(payload) == 0 {
		return false, nil
	}
	w.tick()
	// Reuse the choices array; elements must be zeroed because the decoder
	// leaves fields absent from this event untouched.
	clear(scratch.Choices[:cap(scratch.Choices)])
	ch := chatChunk{Choices: scratch.Choices[:0]}
	if err := json.Unmarshal(payload, &ch); err != nil {
		return false, &Error{Code: CodeResponseInvalid, Message: "malformed stream event: " + err.Error(), Err: err}
	}
	if ch.Error != nil {
		return false, ch.Error.toError(0)
	}
	if ch.Usage != nil {
		out.Usage = ch.Usage.usage()
	}
	scratch.Choices = ch.Choices
	for _, c := range ch.Choices {
		if c.FinishReason != "" {
			out.FinishReason = c.FinishReason
		}
		if c.Delta.Content == "" {
			continue
		}
		text.WriteString(c.Delta.Content)
		if onDelta != nil {
			if err := onDelta(c.Delta.Content); err != nil {
				return false, fmt.Errorf("llm: delta callback: %w", err)
			}
		}
	}
	return false, nil
}

func readWholeJSON(br *bufio.Reader, head []byte, w *watchdog, ctx context.Context, out *ChatResponse,
	text *bytes.Buffer, onDelta func(string) error) error {
	rest, err := io.ReadAll(io.LimitReader(br, maxAnswerBytes))
	if err != nil {
		return w.wrapReadErr(ctx, err)
	}
	data := append(append([]byte(nil), head...), rest...)
	var wire chatCompletion
	if err := json.Unmarshal(data, &wire); err != nil {
		return &Error{Code: CodeResponseInvalid, Message: "malformed completion JSON: " + err.Error(), Err: err}
	}
	if wire.Error != nil {
		return wire.Error.toError(0)
	}
	if len(wire.Choices) == 0 {
		return &Error{Code: CodeResponseInvalid, Message: "completion has no choices"}
	}
	out.FinishReason = wire.Choices[0].FinishReason
	out.Usage = wire.Usage.usage()
	t := wire.Choices[0].Message.Content
	text.WriteString(t)
	if onDelta != nil && t != "" {
		if err := onDelta(t); err != nil {
			return fmt.Errorf("llm: delta callback: %w", err)
		}
	}
	return nil
}
