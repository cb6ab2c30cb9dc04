package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"neko/backend/guard"
)

// API is a client of the main server's REST API, carrying the CSRF token
// and the trusted Origin the way our own page does.
type API struct {
	Base  string // http://127.0.0.1:PORT
	Token string
	hc    *http.Client
}

// NewAPI returns a client for base with the install's token.
func NewAPI(base, token string) *API {
	return &API{Base: base, Token: token, hc: &http.Client{Timeout: 60 * time.Second}}
}

// Do sends one request (body marshalled as JSON when not nil) and decodes a
// JSON answer into out (when not nil). A non-2xx status is an error.
func (a *API) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Origin", a.Base)
	req.Header.Set(guard.TokenHeader, a.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: status %d: %s", method, path, res.StatusCode, truncate(string(raw), 300))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, path, truncate(string(raw), 200), err)
		}
	}
	return nil
}

// WSURL is the WebSocket address of a character's socket, with the token.
func (a *API) WSURL(name string) string {
	return "ws" + strings.TrimPrefix(a.Base, "http") + "/ws/" + url.PathEscape(name) + "?" + guard.TokenQuery + "=" + url.QueryEscape(a.Token)
}

// Setup is what the soak configures before driving conversations.
type Setup struct {
	ProviderURL string   // OpenAI-compatible base of the test provider
	TTSURL      string   // OpenAI-compatible TTS base
	Characters  []string // created fresh
	Node        string   // node binary for the MCP server
	MCPEntry    string   // server-everything's dist/index.js
}

// Configure points every model role at the test provider, creates the
// characters, registers the MCP server and switches the agent on with MCP.
func (a *API) Configure(ctx context.Context, s Setup) error {
	core := map[string]any{"coreApi": "openai", "coreApiKey": "sk-soak", "enableCustomApi": true,
		"ttsModelUrl": s.TTSURL, "ttsModelId": "tts-1", "ttsVoiceId": "alloy", "ttsModelApiKey": "sk-soak"}
	// Every role that makes model calls, embeddings included: nothing may
	// leave the machine (the default assist provider is a cloud service).
	for _, role := range []string{"conversation", "summary", "correction", "emotion", "vision", "agent", "embedding"} {
		core[role+"ModelUrl"], core[role+"ModelId"], core[role+"ModelApiKey"] = s.ProviderURL, "test-model", "sk-soak"
	}
	if err := a.Do(ctx, "POST", "/api/config/core_api", core, nil); err != nil {
		return fmt.Errorf("configure providers: %w", err)
	}
	for _, name := range s.Characters {
		if err := a.Do(ctx, "POST", "/api/characters/catgirl", map[string]any{"档案名": name, "性别": "女"}, nil); err != nil {
			return fmt.Errorf("create character %s: %w", name, err)
		}
	}
	mcp := map[string]any{"command": s.Node, "args": []string{s.MCPEntry, "stdio"}}
	if err := a.Do(ctx, "PUT", "/api/agent/mcp/servers/everything", mcp, nil); err != nil {
		return fmt.Errorf("register MCP server: %w", err)
	}
	var flags struct {
		Success bool     `json:"success"`
		Reasons []string `json:"reasons"`
	}
	body := map[string]any{"flags": map[string]any{"agent_enabled": true, "mcp_enabled": true}}
	if err := a.Do(ctx, "POST", "/api/agent/flags", body, &flags); err != nil {
		return fmt.Errorf("switch the agent on: %w", err)
	}
	if !flags.Success {
		return fmt.Errorf("switch the agent on: refused: %v", flags.Reasons)
	}
	// The MCP server is up once its tools are listed.
	deadline := time.Now().Add(60 * time.Second)
	for {
		var tools map[string]any
		err := a.Do(ctx, "GET", "/api/agent/mcp/tools", nil, &tools)
		if err == nil && strings.Contains(fmt.Sprint(tools), "echo") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("MCP server never listed its echo tool: %v %v", err, tools)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// RuntimeStats is the answer of GET /api/debug/runtime.
type RuntimeStats struct {
	Goroutines   int    `json:"goroutines"`
	HeapAlloc    uint64 `json:"heap_alloc"`
	Sys          uint64 `json:"sys"`
	HeapReleased uint64 `json:"heap_released"`
}

// Runtime reads GET /api/debug/runtime.
func (a *API) Runtime(ctx context.Context) (RuntimeStats, error) {
	var out RuntimeStats
	err := a.Do(ctx, "GET", "/api/debug/runtime", nil, &out)
	return out, err
}

// Memory is a client of the memory server's own API (port 48912), which
// takes the instance token the main server uses. The soak reads it from
// the data folder it owns; no page ever sees it.
type Memory struct {
	Base, InstanceToken string
	hc                  *http.Client
}

// NewMemory returns a memory server client.
func NewMemory(base, instanceToken string) *Memory {
	return &Memory{Base: base, InstanceToken: instanceToken, hc: &http.Client{Timeout: 30 * time.Second}}
}

// Recall runs the memory server's hybrid search (FTS5 BM25 + vectors +
// recency) over a character's archive and reports whether text was found.
func (m *Memory) Recall(ctx context.Context, name, text string) (bool, error) {
	var out struct {
		Items []struct {
			Text string `json:"text"`
		} `json:"items"`
	}
	path := "/memory/" + url.PathEscape(name) + "/search?limit=10&q=" + url.QueryEscape(text)
	req, err := http.NewRequestWithContext(ctx, "GET", m.Base+path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set(guard.InstanceTokenHeader, m.InstanceToken)
	res, err := m.hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("memory search: %w", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return false, fmt.Errorf("memory search: %w", err)
	}
	if res.StatusCode != 200 {
		return false, fmt.Errorf("memory search: status %d: %s", res.StatusCode, truncate(string(raw), 300))
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return false, fmt.Errorf("memory search: %w", err)
	}
	for _, it := range out.Items {
		if strings.Contains(it.Text, text) {
			return true, nil
		}
	}
	return false, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// get reads a text resource.
func (a *API) get(ctx context.Context, path string, out *string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", a.Base+path, nil)
	if err != nil {
		return err
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != 200 {
		return fmt.Errorf("GET %s: status %d", path, res.StatusCode)
	}
	*out = string(b)
	return nil
}
