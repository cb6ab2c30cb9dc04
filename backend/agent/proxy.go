package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"neko/backend/bridge"
	"neko/backend/httpjson"
)

// ProxyOptions configure the main server's /api/agent/* router.
type ProxyOptions struct {
	// Client calls the agent server [30s timeout, no proxy].
	Client *http.Client
	// Header is added to every upstream request (the instance token).
	Header http.Header
	// OnFlags mirrors the switches into the conversation side (they shape
	// the prompt). agentEnabled is nil when the request did not touch it.
	// On an upstream failure it is called with everything off.
	OnFlags func(lanlan string, agentEnabled *bool, flags map[string]bool)
	// Analyze publishes a legacy /internal/analyze_request (nil: 503).
	Analyze func(ctx context.Context, lanlan, trigger string, messages []bridge.Message) error
	Logger  *slog.Logger
}

type proxy struct {
	base string
	o    ProxyOptions
	log  *slog.Logger
}

// NewProxyHandler returns the main server's agent router (reference §4.7).
// It serves full paths, so mount it as mux.Handle("/api/agent/", h).
func NewProxyHandler(agentBaseURL string, o ProxyOptions) http.Handler {
	if o.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = nil
		o.Client = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	p := &proxy{base: strings.TrimRight(agentBaseURL, "/"), o: o, log: o.Logger.With("component", "agent-proxy")}
	mux := http.NewServeMux()
	pass := func(pattern, upstream string) {
		method, _, _ := strings.Cut(pattern, " ")
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			path := upstream
			if id := r.PathValue("id"); id != "" {
				path = strings.Replace(path, "{id}", id, 1)
			}
			if name := r.PathValue("name"); name != "" {
				path = strings.Replace(path, "{name}", name, 1)
			}
			p.forward(w, r, method, path)
		})
	}
	pass("GET /api/agent/flags", "/agent/flags")
	pass("GET /api/agent/state", "/agent/state")
	pass("GET /api/agent/computer_use/availability", "/computer_use/availability")
	pass("GET /api/agent/browser_use/availability", "/browser_use/availability")
	pass("GET /api/agent/mcp/availability", "/mcp/availability")
	pass("GET /api/agent/tasks", "/tasks")
	pass("GET /api/agent/tasks/{id}", "/tasks/{id}")
	pass("POST /api/agent/tasks/{id}/cancel", "/tasks/{id}/cancel")
	pass("POST /api/agent/admin/control", "/admin/control")
	pass("GET /api/agent/mcp/servers", "/mcp/servers")
	pass("PUT /api/agent/mcp/servers/{name}", "/mcp/servers/{name}")
	pass("DELETE /api/agent/mcp/servers/{name}", "/mcp/servers/{name}")
	pass("POST /api/agent/mcp/servers/{name}/enabled", "/mcp/servers/{name}/enabled")
	pass("GET /api/agent/mcp/tools", "/mcp/tools")
	pass("GET /api/agent/computer_use/approvals", "/computer_use/approvals")
	pass("POST /api/agent/computer_use/approvals/{id}", "/computer_use/approvals/{id}")
	mux.HandleFunc("POST /api/agent/flags", p.postFlags)
	mux.HandleFunc("POST /api/agent/command", p.command)
	mux.HandleFunc("GET /api/agent/health", p.health)
	mux.HandleFunc("POST /api/agent/internal/analyze_request", p.analyze)
	mux.HandleFunc("GET /api/agent/user_plugin/availability", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"ready": false, "reasons": []string{ReasonNoPlugins}})
	})
	return mux
}

// call sends one upstream request and returns status and body.
func (p *proxy) call(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	for k, vs := range p.o.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := p.o.Client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("agent server unreachable: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return 0, nil, fmt.Errorf("agent server reply: %w", err)
	}
	return res.StatusCode, b, nil
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return nil, true
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(b) > maxBody {
		httpjson.Error(w, http.StatusRequestEntityTooLarge, "body_too_large", "request body too large")
		return nil, false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		b = []byte("{}")
	}
	if !json.Valid(b) {
		httpjson.Error(w, 400, "invalid_json", "malformed JSON")
		return nil, false
	}
	return b, true
}

func (p *proxy) forward(w http.ResponseWriter, r *http.Request, method, path string) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	status, b, err := p.call(r.Context(), method, path, body)
	if err != nil {
		httpjson.Error(w, http.StatusBadGateway, "agent_unreachable", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (p *proxy) postFlags(w http.ResponseWriter, r *http.Request) {
	var body struct {
		LanlanName string         `json:"lanlan_name"`
		Flags      map[string]any `json:"flags"`
	}
	if !httpjson.DecodeOrError(w, r, &body, maxBody) {
		return
	}
	var agentOn *bool
	up := map[string]any{}
	for k, v := range body.Flags {
		b, isBool := v.(bool)
		if !isBool {
			httpjson.Error(w, 400, "invalid", k+" must be a boolean")
			return
		}
		if k == "agent_enabled" {
			agentOn = &b
			continue
		}
		up[k] = b
	}
	fail := func(msg string) {
		if p.o.OnFlags != nil {
			off := false
			p.o.OnFlags(body.LanlanName, &off, map[string]bool{})
		}
		httpjson.Write(w, http.StatusBadGateway, map[string]any{"success": false, "error": msg})
	}
	ctx := r.Context()
	if agentOn != nil {
		cmd, _ := json.Marshal(map[string]any{"command": "set_agent_enabled", "enabled": *agentOn})
		if st, _, err := p.call(ctx, http.MethodPost, "/agent/command", cmd); err != nil || st != 200 {
			fail(fmt.Sprintf("agent server did not switch the analyzer (status %d, %v)", st, err))
			return
		}
	}
	up["lanlan_name"] = body.LanlanName
	b, _ := json.Marshal(up)
	st, rb, err := p.call(ctx, http.MethodPost, "/agent/flags", b)
	if err != nil || st != 200 {
		fail(fmt.Sprintf("agent server refused the flags (status %d, %v)", st, err))
		return
	}
	var res struct {
		Success    bool            `json:"success"`
		AgentFlags map[string]bool `json:"agent_flags"`
		Reasons    []string        `json:"reasons"`
	}
	_ = json.Unmarshal(rb, &res)
	if p.o.OnFlags != nil {
		p.o.OnFlags(body.LanlanName, agentOn, res.AgentFlags)
	}
	httpjson.Write(w, 200, map[string]any{"success": res.Success, "is_free_version": false, "agent_flags": res.AgentFlags, "reasons": nonNil(res.Reasons)})
}

func (p *proxy) command(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var in struct {
		Command    string `json:"command"`
		LanlanName string `json:"lanlan_name"`
		Enabled    *bool  `json:"enabled"`
		Key        string `json:"key"`
		Value      *bool  `json:"value"`
	}
	_ = json.Unmarshal(body, &in)
	up := time.Now()
	st, b, err := p.call(r.Context(), http.MethodPost, "/agent/command", body)
	proxyMS := time.Since(up).Milliseconds()
	if err != nil {
		if p.o.OnFlags != nil && (in.Command == "set_agent_enabled" || in.Command == "set_flag") {
			off := false
			p.o.OnFlags(in.LanlanName, &off, map[string]bool{})
		}
		httpjson.Error(w, http.StatusBadGateway, "agent_unreachable", err.Error())
		return
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil || out == nil {
		httpjson.Error(w, http.StatusBadGateway, "agent_bad_reply", "agent server sent a malformed reply")
		return
	}
	if st == 200 && out["success"] == true && p.o.OnFlags != nil {
		switch in.Command {
		case "set_agent_enabled":
			p.o.OnFlags(in.LanlanName, in.Enabled, nil)
		case "set_flag":
			if in.Value != nil {
				p.o.OnFlags(in.LanlanName, nil, map[string]bool{in.Key: *in.Value})
			}
		}
	}
	timing, _ := out["timing"].(map[string]any)
	if timing == nil {
		timing = map[string]any{}
	}
	timing["main_proxy_ms"] = proxyMS
	timing["main_total_ms"] = time.Since(start).Milliseconds()
	out["timing"] = timing
	httpjson.Write(w, st, out)
}

func (p *proxy) health(w http.ResponseWriter, r *http.Request) {
	st, b, err := p.call(r.Context(), http.MethodGet, "/health", nil)
	var tool map[string]any
	if err != nil || st != 200 || json.Unmarshal(b, &tool) != nil {
		httpjson.Write(w, http.StatusBadGateway, map[string]any{"status": "down"})
		return
	}
	httpjson.Write(w, 200, map[string]any{"status": "ok", "tool": tool})
}

func (p *proxy) analyze(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Trigger    string           `json:"trigger"`
		LanlanName string           `json:"lanlan_name"`
		Messages   []bridge.Message `json:"messages"`
	}
	if !httpjson.DecodeOrError(w, r, &body, maxBody) {
		return
	}
	if p.o.Analyze == nil {
		httpjson.Error(w, 503, "unavailable", "analyze publishing is not wired")
		return
	}
	if body.LanlanName == "" || len(body.Messages) == 0 {
		httpjson.Error(w, 400, "invalid", "lanlan_name and messages are required")
		return
	}
	if err := p.o.Analyze(r.Context(), body.LanlanName, firstNonEmpty(body.Trigger, bridge.TriggerTurnEnd), body.Messages); err != nil {
		httpjson.Error(w, 502, "publish_failed", err.Error())
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true})
}
