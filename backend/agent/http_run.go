package agent

import (
	"context"
	"encoding/json"
	"net/http"

	"neko/backend/httpjson"
)

func (s *Server) runComputer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Instruction string `json:"instruction"`
		LanlanName  string `json:"lanlan_name"`
	}
	if !httpjson.DecodeOrError(w, r, &body, maxBody) {
		return
	}
	if body.Instruction == "" {
		httpjson.Error(w, 400, "invalid", "instruction is required")
		return
	}
	if f, _ := s.flagsSnapshot(); !f.ComputerUse {
		httpjson.Error(w, 403, ReasonDisabled, "computer use is switched off")
		return
	}
	if c := s.computerCap(); !c.Ready {
		httpjson.Error(w, 503, c.Reason, "computer use is not available")
		return
	}
	id, dup, err := s.startPlan(body.LanlanName, body.Instruction, "en", Plan{Method: TypeComputerUse, Instruction: body.Instruction})
	switch {
	case err != nil:
		httpjson.Error(w, 503, "unavailable", err.Error())
	case dup != "":
		httpjson.Write(w, 409, map[string]any{"success": false, "duplicate": true, "matched_id": dup})
	default:
		t, _, _ := s.reg.get(id)
		httpjson.Write(w, 200, map[string]any{"success": true, "task_id": id, "status": t.Status, "start_time": t.StartTime})
	}
}

// runBrowser runs one instruction synchronously (as the original does).
func (s *Server) runBrowser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Instruction string `json:"instruction"`
		LanlanName  string `json:"lanlan_name"`
	}
	if !httpjson.DecodeOrError(w, r, &body, maxBody) {
		return
	}
	if body.Instruction == "" {
		httpjson.Error(w, 400, "invalid", "instruction is required")
		return
	}
	if f, _ := s.flagsSnapshot(); !f.BrowserUse {
		httpjson.Error(w, 403, ReasonDisabled, "browser use is switched off")
		return
	}
	if c := s.browserCap(); !c.Ready {
		httpjson.Error(w, 503, c.Reason, "browser use is not available")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.BrowserTaskTimeout)
	defer cancel()
	select {
	case s.browserSlot <- struct{}{}:
		defer func() { <-s.browserSlot }()
	case <-ctx.Done():
		httpjson.Error(w, 503, "busy", "the browser is busy")
		return
	}
	out, err := s.runBrowserTask(ctx, body.Instruction, body.LanlanName, nil)
	if err != nil {
		httpjson.Write(w, 200, map[string]any{"success": false, "error": err.Error(), "result": out.Result})
		return
	}
	httpjson.Write(w, 200, map[string]any{"success": out.Success, "result": out.Result, "steps": out.Steps})
}

func jsonRoundTrip(in any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
