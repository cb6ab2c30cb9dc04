// Package model is the agent's narrow view of a chat model: one request in,
// one text answer out, plus strict parsing of the JSON the agent asks for.
// The agent server adapts neko/backend/llm to it; tests script it.
package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Message is one chat message; Images are encoded PNG or JPEG bytes.
type Message struct {
	Role    string
	Content string
	Images  [][]byte
}

// Request is one completion.
type Request struct {
	Messages    []Message
	Temperature float64
	MaxTokens   int
	JSON        bool // ask the provider for a JSON object
}

// Model answers one request with the assistant's text.
type Model interface {
	Complete(ctx context.Context, req Request) (string, error)
}

// Func adapts a function to Model.
type Func func(ctx context.Context, req Request) (string, error)

// Complete calls f.
func (f Func) Complete(ctx context.Context, req Request) (string, error) { return f(ctx, req) }

// ErrBadJSON marks an answer that is not the JSON object asked for.
var ErrBadJSON = errors.New("model answer is not valid JSON")

// DecodeJSON extracts the JSON object from a model answer (tolerating a
// ```json fence or prose around it) and unmarshals it into v strictly:
// unknown shapes fail with ErrBadJSON and a short excerpt of the answer.
func DecodeJSON(answer string, v any) error {
	s := strings.TrimSpace(answer)
	if i := strings.Index(s, "```"); i >= 0 {
		rest := s[i+3:]
		rest = strings.TrimPrefix(rest, "json")
		rest = strings.TrimPrefix(rest, "JSON")
		if j := strings.Index(rest, "```"); j >= 0 {
			s = strings.TrimSpace(rest[:j])
		}
	}
	start := strings.IndexByte(s, '{')
	end := strings.LastIndexByte(s, '}')
	if start < 0 || end < start {
		return fmt.Errorf("%w: no JSON object in %q", ErrBadJSON, excerpt(answer))
	}
	if err := json.Unmarshal([]byte(s[start:end+1]), v); err != nil {
		return fmt.Errorf("%w: %v in %q", ErrBadJSON, err, excerpt(answer))
	}
	return nil
}

func excerpt(s string) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return string(r)
}

// AskJSON sends req (with JSON mode) and decodes the answer into v.
func AskJSON(ctx context.Context, m Model, req Request, v any) error {
	req.JSON = true
	ans, err := m.Complete(ctx, req)
	if err != nil {
		return err
	}
	return DecodeJSON(ans, v)
}
