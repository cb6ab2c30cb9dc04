package agent

import (
	"errors"
	"net/http"
	"time"

	"neko/backend/agent/mcp"
	"neko/backend/bridge"
	"neko/backend/httpjson"
)

const maxBody = 256 << 10

// Handler serves the agent API of reference §10.1 plus MCP server
// management (everything except /health, which the caller mounts with
// HealthExtra).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /agent/flags", s.getFlags)
	mux.HandleFunc("POST /agent/flags", s.postFlags)
	mux.HandleFunc("GET /agent/state", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "snapshot": s.Snapshot()})
	})
	mux.HandleFunc("POST /agent/command", s.command)
	mux.HandleFunc("GET /tasks", s.listTasks)
	mux.HandleFunc("GET /tasks/{id}", s.getTask)
	mux.HandleFunc("POST /tasks/{id}/cancel", s.cancelTask)
	mux.HandleFunc("GET /computer_use/availability", func(w http.ResponseWriter, r *http.Request) {
		c := s.computerCap()
		httpjson.Write(w, 200, map[string]any{"ready": c.Ready, "reasons": reasonList(c)})
	})
	mux.HandleFunc("GET /browser_use/availability", func(w http.ResponseWriter, r *http.Request) {
		f, _ := s.flagsSnapshot()
		c := s.browserCap()
		httpjson.Write(w, 200, map[string]any{"enabled": f.BrowserUse, "ready": c.Ready, "reasons": reasonList(c), "provider": "chromedp"})
	})
	mux.HandleFunc("POST /computer_use/run", s.runComputer)
	mux.HandleFunc("POST /browser_use/run", s.runBrowser)
	mux.HandleFunc("GET /mcp/availability", func(w http.ResponseWriter, r *http.Request) {
		tools, _ := s.mcp.Tools(r.Context())
		c := s.mcpCap()
		httpjson.Write(w, 200, map[string]any{"ready": c.Ready, "capabilities_count": len(tools), "reasons": reasonList(c)})
	})
	mux.HandleFunc("GET /capabilities", func(w http.ResponseWriter, r *http.Request) {
		tools, _ := s.mcp.Tools(r.Context())
		caps := map[string]any{}
		for _, t := range tools {
			caps[t.Server+"/"+t.Name] = map[string]any{"server": t.Server, "tool": t.Name, "description": t.Description}
		}
		httpjson.Write(w, 200, map[string]any{"success": true, "capabilities": caps})
	})
	mux.HandleFunc("POST /notify_config_changed", func(w http.ResponseWriter, r *http.Request) {
		s.statusChanged()
		httpjson.Write(w, 200, map[string]any{"success": true})
	})
	mux.HandleFunc("POST /admin/control", s.adminControl)
	mux.HandleFunc("POST /plugin/execute", notPlugins)
	mux.HandleFunc("POST /api/agent/tasks/{id}/complete", notPlugins)
	// Computer-use approvals (ours).
	mux.HandleFunc("GET /computer_use/approvals", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "approvals": s.approvals.Pending()})
	})
	mux.HandleFunc("POST /computer_use/approvals/{id}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Approved *bool `json:"approved"`
		}
		if !httpjson.DecodeOrError(w, r, &body, maxBody) {
			return
		}
		if body.Approved == nil {
			httpjson.Error(w, 400, "invalid", "approved (bool) is required")
			return
		}
		if err := s.approvals.Answer(r.PathValue("id"), *body.Approved); err != nil {
			httpjson.Error(w, 404, "not_found", err.Error())
			return
		}
		httpjson.Write(w, 200, map[string]any{"success": true})
	})
	// MCP server management (ours).
	mux.HandleFunc("GET /mcp/servers", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, 200, map[string]any{"success": true, "servers": s.mcp.Servers()})
	})
	mux.HandleFunc("PUT /mcp/servers/{name}", s.putMCPServer)
	mux.HandleFunc("DELETE /mcp/servers/{name}", func(w http.ResponseWriter, r *http.Request) {
		mcpReply(w, s.mcp.Remove(r.PathValue("name")))
	})
	mux.HandleFunc("POST /mcp/servers/{name}/enabled", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Enabled *bool `json:"enabled"`
		}
		if !httpjson.DecodeOrError(w, r, &body, maxBody) {
			return
		}
		if body.Enabled == nil {
			httpjson.Error(w, 400, "invalid", "enabled (bool) is required")
			return
		}
		mcpReply(w, s.mcp.SetEnabled(r.PathValue("name"), *body.Enabled))
	})
	mux.HandleFunc("GET /mcp/tools", func(w http.ResponseWriter, r *http.Request) {
		tools, errs := s.mcp.Tools(r.Context())
		msgs := map[string]string{}
		for k, e := range errs {
			msgs[k] = e.Error()
		}
		if tools == nil {
			tools = []mcp.Tool{}
		}
		httpjson.Write(w, 200, map[string]any{"success": true, "tools": tools, "errors": msgs})
	})
	return mux
}

func reasonList(c capability) []string {
	if c.Reason == "" {
		return []string{}
	}
	return []string{c.Reason}
}

func notPlugins(w http.ResponseWriter, r *http.Request) {
	httpjson.Error(w, http.StatusNotImplemented, ReasonNoPlugins, "user plugins are not part of this agent; use MCP servers")
}

func (s *Server) getFlags(w http.ResponseWriter, r *http.Request) {
	f, analyzer := s.flagsSnapshot()
	ready, reasons := s.gate()
	s.mu.Lock()
	rev := s.revision
	s.mu.Unlock()
	httpjson.Write(w, 200, map[string]any{"success": true, "agent_flags": f, "analyzer_enabled": analyzer,
		"agent_api_gate": map[string]any{"ready": ready, "reasons": reasons, "is_free_version": false},
		"revision":       rev, "notification": s.takeNotification()})
}

func (s *Server) postFlags(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if !httpjson.DecodeOrError(w, r, &body, maxBody) {
		return
	}
	change := map[string]bool{}
	for _, k := range []string{"computer_use_enabled", "browser_use_enabled", "user_plugin_enabled", "mcp_enabled"} {
		if v, ok := body[k]; ok {
			b, isBool := v.(bool)
			if !isBool {
				httpjson.Error(w, 400, "invalid", k+" must be a boolean")
				return
			}
			change[k] = b
		}
	}
	f, refused := s.setFlags(change)
	out := map[string]any{"success": len(refused) == 0, "agent_flags": f}
	if len(refused) > 0 {
		out["reasons"] = refused
		out["error"] = "not enabled: " + refused[0]
	}
	httpjson.Write(w, 200, out)
}

func (s *Server) command(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var body struct {
		RequestID string `json:"request_id"`
		Command   string `json:"command"`
		Enabled   *bool  `json:"enabled"`
		Key       string `json:"key"`
		Value     *bool  `json:"value"`
	}
	if !httpjson.DecodeOrError(w, r, &body, maxBody) {
		return
	}
	out := map[string]any{"success": true, "request_id": body.RequestID}
	switch body.Command {
	case "set_agent_enabled":
		if body.Enabled == nil {
			httpjson.Error(w, 400, "invalid", "enabled (bool) is required")
			return
		}
		on := *body.Enabled
		if on {
			if ready, reasons := s.gate(); !ready {
				out["success"], out["error"], out["reasons"] = false, "agent models are not configured", reasons
				on = false
			}
		}
		s.setAnalyzer(on)
	case "set_flag":
		switch body.Key {
		case "computer_use_enabled", "browser_use_enabled", "user_plugin_enabled", "mcp_enabled":
		default:
			httpjson.Error(w, 400, "invalid", "unknown flag "+body.Key)
			return
		}
		if body.Value == nil {
			httpjson.Error(w, 400, "invalid", "value (bool) is required")
			return
		}
		f, refused := s.setFlags(map[string]bool{body.Key: *body.Value})
		out["agent_flags"] = f
		if len(refused) > 0 {
			out["success"], out["reasons"] = false, refused
		}
	case "refresh_state":
		out["snapshot"] = s.Snapshot()
	default:
		httpjson.Error(w, 400, "invalid", "unknown command "+body.Command)
		return
	}
	out["timing"] = map[string]any{"agent_total_ms": time.Since(start).Milliseconds()}
	httpjson.Write(w, 200, out)
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	ls := s.reg.list()
	tasks := make([]map[string]any, 0, len(ls))
	for _, l := range ls {
		tasks = append(tasks, taskJSON(l.task, l.result))
	}
	httpjson.Write(w, 200, map[string]any{"tasks": tasks, "debug": map[string]any{"registry_size": len(ls)}})
}

func taskJSON(t bridge.Task, result string) map[string]any {
	m := map[string]any{}
	_ = jsonRoundTrip(t, &m)
	m["result"] = nullable(result)
	if _, ok := m["error"]; !ok {
		m["error"] = nil
	}
	m["source"] = "runtime"
	return m
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) {
	t, res, ok := s.reg.get(r.PathValue("id"))
	if !ok {
		httpjson.Error(w, 404, "not_found", "task not found")
		return
	}
	httpjson.Write(w, 200, taskJSON(t, res))
}

func (s *Server) cancelTask(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	found, active := s.reg.cancel(id)
	switch {
	case !found:
		httpjson.Error(w, 404, "not_found", "task not found")
	case !active:
		t, _, _ := s.reg.get(id)
		httpjson.Write(w, 409, map[string]any{"success": false, "task_id": id, "status": t.Status, "error": "task already finished"})
	default:
		httpjson.Write(w, 200, map[string]any{"success": true, "task_id": id, "status": StatusCancelled})
	}
}

func (s *Server) adminControl(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Action string `json:"action"`
	}
	if !httpjson.DecodeOrError(w, r, &body, maxBody) {
		return
	}
	switch body.Action {
	case "end_all":
		s.reg.cancelAll(true)
		s.mu.Lock()
		s.fingerprints = map[string]string{}
		s.mu.Unlock()
		s.statusChanged()
	case "enable_analyzer":
		if ready, reasons := s.gate(); !ready {
			httpjson.Write(w, 200, map[string]any{"success": false, "error": "agent models are not configured", "reasons": reasons})
			return
		}
		s.setAnalyzer(true)
	case "disable_analyzer":
		s.setAnalyzer(false)
		s.reg.cancelAll(true)
	default:
		httpjson.Error(w, 400, "invalid", "unknown action "+body.Action)
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": true, "action": body.Action})
}

func (s *Server) putMCPServer(w http.ResponseWriter, r *http.Request) {
	var cfg mcp.ServerConfig
	if !httpjson.DecodeOrError(w, r, &cfg, maxBody) {
		return
	}
	mcpReply(w, s.mcp.Put(r.PathValue("name"), cfg))
}

func mcpReply(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		httpjson.Write(w, 200, map[string]any{"success": true})
	case errors.Is(err, mcp.ErrUnknownServer):
		httpjson.Error(w, 404, "not_found", err.Error())
	default:
		httpjson.Error(w, 400, "invalid", err.Error())
	}
}
