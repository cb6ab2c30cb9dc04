package services

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// agentTasks lists a character's queued and running agent tasks for her
// prompt, so she never makes up a result of work still in progress.
func (s *Services) agentTasks(ctx context.Context, name string) []string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/tasks", s.Ports.Agent), nil)
	resp, err := s.internal.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var body struct {
		Tasks []struct {
			Status     string         `json:"status"`
			LanlanName string         `json:"lanlan_name"`
			Params     map[string]any `json:"params"`
		} `json:"tasks"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body) != nil {
		return nil
	}
	var out []string
	for _, t := range body.Tasks {
		if t.LanlanName != name || (t.Status != "queued" && t.Status != "running") {
			continue
		}
		what, _ := t.Params["instruction"].(string)
		if what == "" {
			what, _ = t.Params["query"].(string)
		}
		if what == "" {
			continue
		}
		state := "Queued"
		if t.Status == "running" {
			state = "Running"
		}
		out = append(out, fmt.Sprintf("[%s] %s", state, what))
	}
	return out
}
