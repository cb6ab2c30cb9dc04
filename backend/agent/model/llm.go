package model

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"sync"

	"neko/backend/llm"
)

// chatModel adapts an llm.ChatClient to Model.
type chatModel struct{ c *llm.ChatClient }

func (m chatModel) Complete(ctx context.Context, req Request) (string, error) {
	msgs := make([]llm.Message, 0, len(req.Messages))
	for _, msg := range req.Messages {
		lm := llm.Message{Role: msg.Role, Content: msg.Content}
		for _, img := range msg.Images {
			lm.Images = append(lm.Images, "data:"+http.DetectContentType(img)+";base64,"+base64.StdEncoding.EncodeToString(img))
		}
		msgs = append(msgs, lm)
	}
	t := req.Temperature
	res, err := m.c.Complete(ctx, llm.ChatRequest{Messages: msgs, Temperature: &t, MaxTokens: req.MaxTokens, JSONMode: req.JSON})
	if err != nil {
		return "", err
	}
	return res.Text, nil
}

// FromEndpoints resolves roles through endpoint, keeping one client per
// distinct endpoint; a role whose endpoint has no BaseURL yields nil.
func FromEndpoints(endpoint func(string) llm.Endpoint, log *slog.Logger) func(string) Model {
	var mu sync.Mutex
	clients := map[llm.Endpoint]Model{}
	return func(role string) Model {
		ep := endpoint(role)
		if ep.BaseURL == "" {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		if m, ok := clients[ep]; ok {
			return m
		}
		m := chatModel{llm.NewChatClient(ep, llm.WithLogger(log))}
		clients[ep] = m
		return m
	}
}
