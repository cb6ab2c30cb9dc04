package services

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"neko/backend/memory/msg"
	"neko/backend/session"
)

// memoryClient is the main server's side of the memory server's HTTP API
// (the original's paths and bodies), so split mode and a Python memory
// server work the same.
type memoryClient struct {
	base string
	hc   *http.Client
}

var _ session.Memory = (*memoryClient)(nil)

func (c *memoryClient) NewDialog(ctx context.Context, name string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/new_dialog/"+url.PathEscape(name), nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("memory server: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("memory server: /new_dialog answered %s", resp.Status)
	}
	return string(b), nil
}

func (c *memoryClient) Cache(ctx context.Context, name string, turns []session.Turn) error {
	return c.post(ctx, "/cache/"+url.PathEscape(name), turns)
}

func (c *memoryClient) Settle(ctx context.Context, name string, turns []session.Turn) error {
	return c.post(ctx, "/settle/"+url.PathEscape(name), turns)
}

func (c *memoryClient) post(ctx context.Context, path string, turns []session.Turn) error {
	msgs := make([]msg.Message, 0, len(turns))
	for _, t := range turns {
		role := msg.Human
		if t.Role == "assistant" {
			role = msg.AI
		}
		msgs = append(msgs, msg.Message{Role: role, Text: t.Text})
	}
	hist, err := msg.InputHistory(msgs)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(map[string]string{"input_history": hist})
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("memory server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("memory server: %s answered %s: %s", path, resp.Status, b)
	}
	return nil
}
