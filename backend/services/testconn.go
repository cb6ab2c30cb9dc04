package services

import (
	"net/http"

	"neko/backend/config"
	"neko/backend/httpjson"
	"neko/backend/llm"
)

// testConnection serves POST /api/config/test_connection for the settings
// page's per-key Test buttons: {kind: "core"|"assist", provider, api_key} is
// checked against that provider's catalog endpoint (never a URL the request
// names) and answers {ok, status, code?, message?, latency_ms}. Kind
// "custom" with a role (conversation … agent, omni, tts) checks the saved
// custom <role>Model{Url,Id,ApiKey} endpoint; the page saves before it asks.
func testConnection(checker *llm.ProviderChecker, cat *config.Providers) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Kind     string `json:"kind"`
			Provider string `json:"provider"`
			APIKey   string `json:"api_key"`
			Role     string `json:"role"`
		}
		if !httpjson.DecodeOrError(w, r, &body, 0) {
			return
		}
		req := llm.CheckRequest{APIKey: body.APIKey}
		switch body.Kind {
		case "core":
			p, ok := cat.CoreByKey(body.Provider)
			if !ok {
				httpjson.Error(w, 400, "invalid", "unknown core provider "+body.Provider)
				return
			}
			req.Role, req.BaseURL, req.Model = llm.RoleRealtime, p.CoreURL, p.CoreModel
			if req.APIKey == "" {
				req.APIKey = p.CoreAPIKey
			}
		case "assist":
			p, ok := cat.AssistByKey(body.Provider)
			if !ok {
				httpjson.Error(w, 400, "invalid", "unknown assist provider "+body.Provider)
				return
			}
			req.Role, req.BaseURL, req.Model = llm.RoleConversation, p.OpenRouterURL, p.ConversationModel
			if req.APIKey == "" {
				req.APIKey = p.OpenRouterAPIKey
			}
		case "custom":
			role, ok := customRoles[body.Role]
			if !ok {
				httpjson.Error(w, 400, "invalid", "unknown custom model role "+body.Role)
				return
			}
			ep, err := llm.Resolve(checker.Config(), cat, role, llm.ResolveOptions{})
			if err != nil || !ep.Custom {
				httpjson.Error(w, 400, "CUSTOM_MODEL_NOT_SAVED", "turn custom models on and save a URL and model id for "+body.Role+" first")
				return
			}
			req.Role = role // no BaseURL: the checker uses the saved endpoint and its key
		default:
			httpjson.Error(w, 400, "invalid", `kind must be "core", "assist" or "custom"`)
			return
		}
		res := checker.Check(r.Context(), req)
		httpjson.Write(w, 200, map[string]any{"ok": res.Status == llm.CheckOK, "status": res.Status, "code": res.Code,
			"message": res.Message, "latency_ms": res.LatencyMS})
	}
}

// customRoles maps the settings page's custom model rows to model roles.
var customRoles = map[string]string{
	"conversation": llm.RoleConversation, "summary": llm.RoleSummary, "correction": llm.RoleCorrection,
	"emotion": llm.RoleEmotion, "vision": llm.RoleVision, "agent": llm.RoleAgent,
	"omni": llm.RoleRealtime, "tts": llm.RoleTTS,
}
