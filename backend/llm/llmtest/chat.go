package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// ChatRequest is what a client sent to /v1/chat/completions, decoded from
// the wire.
type ChatRequest struct {
	Model        string
	Messages     []ChatMessage
	Stream       bool
	IncludeUsage bool // stream_options.include_usage
	Temperature  *float64
	MaxTokens    int // max_tokens or max_completion_tokens
	JSONMode     bool
	APIKey       string         // bearer token
	Body         map[string]any // the whole decoded body (extras included)
}

// ChatMessage is one decoded message; Images holds the image_url parts.
type ChatMessage struct {
	Role, Content string
	Images        []string
}

// LastUser returns the content of the last user message.
func (r ChatRequest) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// ChatReply scripts one answer.
type ChatReply struct {
	Text            string        // whole answer; split into word chunks when Chunks is empty
	Chunks          []string      // explicit deltas (streamed in order)
	ChunkDelay      time.Duration // pause before each delta after the first
	FirstTokenDelay time.Duration // pause after the headers, before the first delta
	Status          int           // non-200: answer with this status and an error body
	Body            string        // raw body for an error status (default: OpenAI error JSON)
	Drop            bool          // cut the connection after the deltas, without [DONE]
	Malformed       bool          // send a malformed JSON event after the deltas
	StreamError     string        // send {"error":{"message":...}} as an event after the deltas
	FinishReason    string        // default "stop"
	NoUsage         bool          // omit usage
}

// ScriptChat sets the per-request script; nil restores the default, which
// echoes the last user message.
func (s *Server) ScriptChat(fn func(req ChatRequest) ChatReply) {
	s.mu.Lock()
	s.chatScript = fn
	s.mu.Unlock()
}

// Requests returns the chat requests received so far.
func (s *Server) Requests() []ChatRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatRequest(nil), s.requests...)
}

func decodeChatRequest(data []byte) (ChatRequest, error) {
	var body map[string]any
	if err := json.Unmarshal(data, &body); err != nil {
		return ChatRequest{}, err
	}
	var wire struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		Stream        bool `json:"stream"`
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Temperature         *float64 `json:"temperature"`
		MaxTokens           int      `json:"max_tokens"`
		MaxCompletionTokens int      `json:"max_completion_tokens"`
		ResponseFormat      *struct {
			Type string `json:"type"`
		} `json:"response_format"`
	}
	if err := json.Unmarshal(data, &wire); err != nil {
		return ChatRequest{}, err
	}
	req := ChatRequest{Model: wire.Model, Stream: wire.Stream, Temperature: wire.Temperature,
		MaxTokens: max(wire.MaxTokens, wire.MaxCompletionTokens), Body: body}
	req.IncludeUsage = wire.StreamOptions != nil && wire.StreamOptions.IncludeUsage
	req.JSONMode = wire.ResponseFormat != nil && wire.ResponseFormat.Type == "json_object"
	for _, m := range wire.Messages {
		msg := ChatMessage{Role: m.Role}
		var s string
		if err := json.Unmarshal(m.Content, &s); err == nil {
			msg.Content = s
		} else {
			var parts []struct {
				Type     string `json:"type"`
				Text     string `json:"text"`
				ImageURL struct {
					URL string `json:"url"`
				} `json:"image_url"`
			}
			if err := json.Unmarshal(m.Content, &parts); err != nil {
				return ChatRequest{}, fmt.Errorf("message content: %w", err)
			}
			var texts []string
			for _, p := range parts {
				switch p.Type {
				case "text":
					texts = append(texts, p.Text)
				case "image_url":
					msg.Images = append(msg.Images, p.ImageURL.URL)
				}
			}
			msg.Content = strings.Join(texts, "\n")
		}
		req.Messages = append(req.Messages, msg)
	}
	return req, nil
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		return
	}
	req, err := decodeChatRequest(data)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_json", "invalid_request_error", "could not parse the JSON body: "+err.Error())
		return
	}
	req.APIKey = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	s.requests = append(s.requests, req)
	script := s.chatScript
	s.mu.Unlock()
	if !s.knownModel(w, req.Model) {
		return
	}
	reply := ChatReply{Text: req.LastUser()}
	if script != nil {
		reply = script(req)
	}
	if reply.Status != 0 && reply.Status != http.StatusOK {
		if !sleepCtx(r.Context(), reply.FirstTokenDelay) {
			return
		}
		if reply.Body != "" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(reply.Status)
			_, _ = io.WriteString(w, reply.Body)
			return
		}
		writeError(w, reply.Status, statusCode(reply.Status), "error", http.StatusText(reply.Status))
		return
	}
	chunks := reply.Chunks
	if len(chunks) == 0 && reply.Text != "" {
		chunks = strings.SplitAfter(reply.Text, " ")
	}
	if reply.FinishReason == "" {
		reply.FinishReason = "stop"
	}
	full := strings.Join(chunks, "")
	usage := map[string]any{"prompt_tokens": countTokens(req), "completion_tokens": len(chunks),
		"total_tokens": countTokens(req) + len(chunks)}
	if !req.Stream {
		if !sleepCtx(r.Context(), reply.FirstTokenDelay) {
			return
		}
		if reply.Drop {
			panic(http.ErrAbortHandler)
		}
		if reply.Malformed {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"id":"chatcmpl-llmtest","choices":[{"message":`)
			return
		}
		out := map[string]any{"id": "chatcmpl-llmtest", "object": "chat.completion", "created": time.Now().Unix(),
			"model": req.Model, "choices": []any{map[string]any{"index": 0,
				"message":       map[string]any{"role": "assistant", "content": full},
				"finish_reason": reply.FinishReason}}}
		if !reply.NoUsage {
			out["usage"] = usage
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	s.streamChat(w, r, req, reply, chunks, usage)
}

func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, req ChatRequest, reply ChatReply,
	chunks []string, usage map[string]any) {
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	created := time.Now().Unix()
	send := func(v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		if fl != nil {
			fl.Flush()
		}
		return true
	}
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": "chatcmpl-llmtest", "object": "chat.completion.chunk", "created": created,
			"model": req.Model, "choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	if fl != nil {
		fl.Flush()
	}
	if !sleepCtx(r.Context(), reply.FirstTokenDelay) {
		return
	}
	if !send(chunk(map[string]any{"role": "assistant", "content": ""}, nil)) {
		return
	}
	for i, c := range chunks {
		if i > 0 && !sleepCtx(r.Context(), reply.ChunkDelay) {
			return
		}
		if !send(chunk(map[string]any{"content": c}, nil)) {
			return
		}
	}
	switch {
	case reply.Drop:
		panic(http.ErrAbortHandler)
	case reply.Malformed:
		_, _ = io.WriteString(w, "data: {\"id\":\"chatcmpl-llmtest\",\"choices\":[{\"delta\":{\"content\":\"x\n\n")
		return
	case reply.StreamError != "":
		send(map[string]any{"error": map[string]any{"message": reply.StreamError, "type": "server_error", "code": nil}})
		return
	}
	send(chunk(map[string]any{}, reply.FinishReason))
	if req.IncludeUsage && !reply.NoUsage {
		send(map[string]any{"id": "chatcmpl-llmtest", "object": "chat.completion.chunk", "created": created,
			"model": req.Model, "choices": []any{}, "usage": usage})
	}
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

func countTokens(req ChatRequest) int {
	n := 0
	for _, m := range req.Messages {
		n += len(strings.Fields(m.Content)) + 3
	}
	return n
}

func statusCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "invalid_api_key"
	case http.StatusTooManyRequests:
		return "rate_limit_exceeded"
	case http.StatusNotFound:
		return "model_not_found"
	}
	return "server_error"
}
