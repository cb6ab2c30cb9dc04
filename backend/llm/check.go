package llm

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"neko/backend/config"
	"neko/backend/httpjson"
)

// Connectivity results of a provider check.
const (
	CheckOK           = "ok"
	CheckAuthFailed   = "auth_failed"
	CheckUnreachable  = "unreachable"
	CheckModelMissing = "model_missing"
	CheckError        = "error"
)

// CheckRequest is the body of POST /api/config/test_provider: a role
// (resolved from the saved config) and/or explicit endpoint fields that
// override it (a masked or empty api_key keeps the saved one).
type CheckRequest struct {
	Role    string `json:"role"`
	BaseURL string `json:"base_url"`
	APIKey  string `json:"api_key"`
	Model   string `json:"model"`
}

// CheckResult is the answer.
type CheckResult struct {
	Success   bool   `json:"success"`
	Status    string `json:"status"` // ok, auth_failed, unreachable, model_missing, error
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	LatencyMS int64  `json:"latency_ms"`
	Role      string `json:"role,omitempty"`
	BaseURL   string `json:"base_url"`
	Model     string `json:"model"`
}

// ProviderChecker tests that a role's endpoint answers.
type ProviderChecker struct {
	Config  func() config.CoreConfig // the saved core config
	Catalog *config.Providers
	Options ResolveOptions
	Timeout time.Duration // whole check; 0 → 15 s
}

// Check resolves the endpoint and makes the smallest real call for the
// role: a 1-token chat completion, one embedding, a realtime handshake, or
// a TTS endpoint reachability probe.
func (p *ProviderChecker) Check(ctx context.Context, req CheckRequest) CheckResult {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	role := req.Role
	if role == "" {
		role = RoleConversation
	}
	ep := RoleEndpoint{Role: role}
	if p.Config != nil && p.Catalog != nil {
		if r, err := Resolve(p.Config(), p.Catalog, role, p.Options); err == nil {
			ep = r
		} else if req.BaseURL == "" {
			return CheckResult{Status: CheckError, Message: err.Error(), Role: role}
		}
	}
	if req.BaseURL != "" && req.BaseURL != ep.BaseURL {
		// Never send the saved key to a URL the request chose.
		ep.BaseURL, ep.APIKey = req.BaseURL, ""
	}
	if req.Model != "" {
		ep.Model = req.Model
	}
	if req.APIKey != "" && !config.IsMasked(req.APIKey) {
		ep.APIKey = req.APIKey
	}
	res := CheckResult{Role: role, BaseURL: ep.BaseURL, Model: ep.Model}
	u, err := url.Parse(ep.BaseURL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "ws" && u.Scheme != "wss") {
		res.Status, res.Message = CheckError, "base_url must be an http(s):// or ws(s):// URL"
		return res
	}
	start := time.Now()
	err = p.call(ctx, role, u.Scheme, ep)
	res.LatencyMS = time.Since(start).Milliseconds()
	if err == nil {
		res.Success, res.Status = true, CheckOK
		return res
	}
	res.Code, res.Message = ErrorCode(err), err.Error()
	switch res.Code {
	case CodeKeyRejected:
		res.Status = CheckAuthFailed
	case CodeModelNotFound:
		res.Status = CheckModelMissing
	case CodeConnectionRefused, CodeConnectionTimeout, CodeConnectionFailed, CodeConnectionClosed, CodeResponseTimeout:
		res.Status = CheckUnreachable
	default:
		res.Status = CheckError
		if errors.Is(err, context.DeadlineExceeded) {
			res.Status, res.Code = CheckUnreachable, CodeConnectionTimeout
		}
	}
	return res
}

func (p *ProviderChecker) call(ctx context.Context, role, scheme string, ep RoleEndpoint) error {
	ws := scheme == "ws" || scheme == "wss"
	switch {
	case role == RoleRealtime || (ws && role != RoleTTS):
		rt, err := DialRealtime(ctx, RealtimeConfig{Family: familyFor(ep), URL: ep.BaseURL, APIKey: ep.APIKey, Model: ep.Model})
		if err != nil {
			return err
		}
		return rt.Close()
	case role == RoleTTS:
		if ws {
			h := http.Header{}
			if ep.APIKey != "" {
				h.Set("Authorization", "Bearer "+ep.APIKey)
			}
			conn, err := dialWS(ctx, ep.BaseURL, h, 10*time.Second)
			if err != nil {
				return err
			}
			return conn.Close()
		}
		_, _, err := probeModels(ctx, http.DefaultClient, strings.TrimRight(ep.BaseURL, "/"), ep.APIKey, 10*time.Second)
		var e *Error
		if errors.As(err, &e) && (e.Code == CodeResponseInvalid || e.Code == CodeModelNotFound) {
			return nil // something answered; TTS servers rarely list models
		}
		return err
	case role == RoleEmbedding:
		_, err := NewEmbeddingClient(ep.Endpoint, WithRetries(0, 0)).Embed(ctx, []string{"ping"})
		return err
	}
	c := NewChatClient(ep.Endpoint, WithRetries(0, 0))
	_, err := c.Complete(ctx, ChatRequest{Messages: []Message{{Role: "user", Content: "ping"}}, MaxTokens: 1})
	return err
}

func familyFor(ep RoleEndpoint) string {
	if ep.APIType != "" && ep.APIType != "local" {
		return ep.APIType
	}
	return ""
}

// TestProviderHandler answers POST /api/config/test_provider.
func TestProviderHandler(p *ProviderChecker) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req CheckRequest
		if !httpjson.DecodeOrError(w, r, &req, 64<<10) {
			return
		}
		if req.Role != "" {
			known := false
			for _, x := range Roles {
				known = known || x == req.Role
			}
			if !known {
				httpjson.Error(w, http.StatusBadRequest, "invalid_role", "unknown role "+req.Role)
				return
			}
		}
		httpjson.Write(w, http.StatusOK, p.Check(r.Context(), req))
	}
}

// LocalProvidersHandler answers GET /api/config/local_providers with the
// local OpenAI-compatible servers found on loopback.
func LocalProvidersHandler(d *Discoverer) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"success": true, "providers": d.Discover(r.Context())})
	}
}
