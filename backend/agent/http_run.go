package agent

import (
	"context"
	"encoding/json"
	"net/http"

	"neko/backend/httpjson"
)

// runRequest is the body of /computer_use/run and /browser_use/run.
type runRequest struct {
	Instruction string `json:"instruction"`
	LanlanName  string `json:"lanlan_name"`
}

// acceptRun decodes a run request and checks that the power it needs is
// switched on and available, answering the error itself when not.
func (s *Server) acceptRun(w http.ResponseWriter, r *http.Request, power string, on func(Flags) bool, avail func() capability) (runRequest, bool) {
	var body runRequest
	if !httpjson.DecodeOrError(w, r, &body, maxBody) {
		return body, false
	}
	if body.Instruction == "" {
		httpjson.Error(w, 400, "invalid", "instruction is required")
		return body, false
	}
	if f, _ := s.flagsSnapshot(); !on(f) {
		httpjson.Error(w, 403, ReasonDisabled, power+" is switched off")
		return body, false
	}
	if c := avail(); !c.Ready {
		httpjson.Error(w, 503, c.Reason, power+" is not available")
		return body, false
	}
	return body, true
}

func (s *Server) runComputer(w http.ResponseWriter, r *http.Request) {
	body, ok := s.acceptRun(w, r, "computer use", func(f Flags) bool { return f.ComputerUse }, s.computerCap)
	if !ok {
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
	body, ok := s.acceptRun(w, r, "browser use", func(f Flags) bool { return f.BrowserUse }, s.browserCap)
	if !ok {
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
