package agent

import (
	"neko/backend/agent/model"
)

type modelT = model.Model

// Reason codes (reference §10.3); the UI translates them.
const (
	ReasonModelNotConfigured   = "AGENT_MODEL_NOT_CONFIGURED"
	ReasonSummaryNotConfigured = "AGENT_SUMMARY_MODEL_NOT_CONFIGURED"
	ReasonBrowserNotInstalled  = "AGENT_BROWSER_USE_NOT_INSTALLED"
	ReasonNoDisplay            = "AGENT_NO_DISPLAY"
	ReasonComputerUnavailable  = "AGENT_CU_UNAVAILABLE"
	ReasonNoPlugins            = "AGENT_NO_PLUGINS_FOUND"
	ReasonNoMCPServers         = "AGENT_NO_MCP_SERVERS"
	ReasonDisabled             = "AGENT_DISABLED"
)

// gate reports whether the models the agent needs are configured.
func (s *Server) gate() (ready bool, reasons []string) {
	if s.deps.Model(RoleSummary) == nil {
		reasons = append(reasons, ReasonSummaryNotConfigured)
	}
	if s.deps.Model(RoleAgent) == nil {
		reasons = append(reasons, ReasonModelNotConfigured)
	}
	return len(reasons) == 0, nonNil(reasons)
}

type capability struct {
	Ready  bool   `json:"ready"`
	Reason string `json:"reason,omitempty"`
}

func (s *Server) computerCap() capability {
	if s.deps.Model(RoleAgent) == nil {
		return capability{Reason: ReasonModelNotConfigured}
	}
	if s.deps.Computer == nil {
		return capability{Reason: ReasonComputerUnavailable}
	}
	if ok, why := s.deps.Computer.Available(); !ok {
		return capability{Reason: why}
	}
	return capability{Ready: true}
}

func (s *Server) browserCap() capability {
	if s.deps.Model(RoleAgent) == nil {
		return capability{Reason: ReasonModelNotConfigured}
	}
	if s.deps.Browser == nil {
		return capability{Reason: ReasonBrowserNotInstalled}
	}
	if ok, why := s.deps.Browser.Available(); !ok {
		return capability{Reason: why}
	}
	return capability{Ready: true}
}

func (s *Server) mcpCap() capability {
	if s.deps.Model(RoleSummary) == nil {
		return capability{Reason: ReasonSummaryNotConfigured}
	}
	for _, st := range s.mcp.Servers() {
		if st.Enabled {
			return capability{Ready: true}
		}
	}
	return capability{Reason: ReasonNoMCPServers}
}

// Snapshot is the status of reference §10.3.
func (s *Server) Snapshot() map[string]any {
	ready, reasons := s.gate()
	s.mu.Lock()
	flags, analyzer, rev, note := s.flags, s.analyzer, s.revision, s.notification
	s.mu.Unlock()
	active := []map[string]any{}
	for _, t := range s.reg.active() {
		active = append(active, map[string]any{"id": t.ID, "status": t.Status, "type": t.Type, "start_time": t.StartTime,
			"params": t.Params, "session_id": t.SessionID, "lanlan_name": t.LanlanName})
	}
	return map[string]any{
		"revision": rev, "server_online": true, "analyzer_enabled": analyzer,
		"flags": flags,
		"gate":  map[string]any{"ready": ready, "reasons": reasons, "is_free_version": false},
		"capabilities": map[string]any{
			"computer_use": s.computerCap(), "browser_use": s.browserCap(), "mcp": s.mcpCap(),
			"user_plugin": capability{Reason: ReasonNoPlugins},
		},
		"active_tasks": active, "notification": nullable(note), "updated_at": timestamp(s.now()),
	}
}

// setFlags applies a change. Enabling anything while the gate is closed, or
// a channel that is not available, turns that request down with a reason;
// with the gate closed everything goes off (as the original does).
func (s *Server) setFlags(change map[string]bool) (Flags, []string) {
	ready, reasons := s.gate()
	s.mu.Lock()
	f := s.flags
	var refused []string
	enabling := false
	for k, v := range change {
		enabling = enabling || v
		switch k {
		case "computer_use_enabled":
			f.ComputerUse = v
		case "browser_use_enabled":
			f.BrowserUse = v
		case "mcp_enabled":
			f.MCP = v
		case "user_plugin_enabled":
			if v {
				refused = append(refused, ReasonNoPlugins)
			}
		}
	}
	s.mu.Unlock()
	if enabling && !ready {
		f = Flags{}
		refused = append(refused, reasons...)
	} else {
		if f.ComputerUse {
			if c := s.computerCap(); !c.Ready {
				f.ComputerUse = false
				refused = append(refused, c.Reason)
			}
		}
		if f.BrowserUse {
			if c := s.browserCap(); !c.Ready {
				f.BrowserUse = false
				refused = append(refused, c.Reason)
			}
		}
	}
	s.mu.Lock()
	s.flags = f
	if len(refused) > 0 {
		s.notification = `{"code":"` + refused[0] + `","details":{}}`
	}
	s.mu.Unlock()
	s.statusChanged()
	return f, refused
}

func (s *Server) setAnalyzer(on bool) {
	s.mu.Lock()
	s.analyzer = on
	if !on {
		s.fingerprints = map[string]string{}
	}
	s.mu.Unlock()
	if !on {
		s.reg.cancelAll(false)
	}
	s.statusChanged()
}

// takeNotification returns the pending notification once.
func (s *Server) takeNotification() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.notification
	s.notification = ""
	return nullable(n)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
