package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"neko/backend/agent"
	"neko/backend/agent/internal/xvfbtest"
	"neko/backend/bridge"
	"neko/backend/llm/llmtest"
)

// computerHarness has the real computer-use runner on a private Xvfb with
// an xev window, and a vision script that clicks at (500,500) then finishes.
func computerHarness(t *testing.T) (*harness, *xvfbtest.Client, string) {
	display := xvfbtest.Start(t, 800, 600)
	xev := xvfbtest.Xev(t, display, "target", "800x600+0+0")
	h := newHarness(t, harnessOpts{cfg: func(c *agent.Config) {
		c.Computer.Display = display
		c.Computer.Settle = 10 * time.Millisecond
	}})
	h.llm.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		if strings.Contains(req.Messages[0].Content, "Summarise") {
			return llmtest.ChatReply{Text: `{"summary":"clicked it"}`}
		}
		// Vision steps: a task's first step clicks, the next one finishes.
		if len(req.Messages) == 2 {
			return llmtest.ChatReply{Text: `{"thought":"click the middle","action":"click","x":500,"y":500}`}
		}
		return llmtest.ChatReply{Text: `{"action":"done","answer":"clicked the middle of the screen"}`}
	})
	h.mustOK("POST", "/agent/flags", map[string]any{"computer_use_enabled": true})
	return h, xev, display
}

func TestComputerUseWithApprovalOverHTTP(t *testing.T) {
	h, xev, _ := computerHarness(t)
	out := h.mustOK("POST", "/computer_use/run", map[string]any{"instruction": "click the middle", "lanlan_name": "Lan"})
	id := out["task_id"].(string)
	// A second identical request is a duplicate while the first is active.
	if st, dup := h.do("POST", "/computer_use/run", map[string]any{"instruction": "Click the middle!", "lanlan_name": "Lan"}); st != 409 || dup["matched_id"] != id {
		t.Fatalf("duplicate = %d %v", st, dup)
	}
	ev := h.wait(func(ev bridge.Event) bool { return ev.Task != nil && ev.Task.Stage == "awaiting_approval" })
	if ev.Task.ID != id || !strings.Contains(ev.Task.Message, "click at (400, 300)") || !strings.Contains(ev.Task.Message, "target") {
		t.Fatalf("approval request = %s", mustJSON(ev))
	}
	if strings.Contains(xev.Output(), "ButtonPress") {
		t.Fatal("clicked before approval")
	}
	_, list := h.do("GET", "/computer_use/approvals", nil)
	aps := list["approvals"].([]any)
	if len(aps) != 1 {
		t.Fatalf("approvals = %v", list)
	}
	apID := aps[0].(map[string]any)["id"].(string)
	if st, _ := h.do("POST", "/computer_use/approvals/nope", map[string]any{"approved": true}); st != 404 {
		t.Fatalf("unknown approval = %d", st)
	}
	h.mustOK("POST", "/computer_use/approvals/"+apID, map[string]any{"approved": true})
	res := h.wait(isResult)
	if res.TaskID != id || res.Status != "completed" || res.Channel != "computer_use" || res.Detail != "clicked the middle of the screen" {
		t.Fatalf("result = %s", mustJSON(res))
	}
	if !strings.Contains(xev.Output(), "root:(400,300)") {
		t.Fatalf("xev saw no click at (400,300):\n%s", xev.Output())
	}
}

func TestComputerTasksRunOneAtATimeAndCancel(t *testing.T) {
	h, xev, _ := computerHarness(t)
	a := h.mustOK("POST", "/computer_use/run", map[string]any{"instruction": "first job", "lanlan_name": "Lan"})["task_id"].(string)
	h.wait(func(ev bridge.Event) bool {
		return ev.Task != nil && ev.Task.ID == a && ev.Task.Stage == "awaiting_approval"
	})
	b := h.mustOK("POST", "/computer_use/run", map[string]any{"instruction": "second job", "lanlan_name": "Lan"})["task_id"].(string)
	_, tb := h.do("GET", "/tasks/"+b, nil)
	if tb["status"] != "queued" {
		t.Fatalf("second task = %v while the first runs", tb)
	}
	h.mustOK("POST", "/tasks/"+a+"/cancel", nil)
	h.wait(func(ev bridge.Event) bool { return ev.Task != nil && ev.Task.ID == a && ev.Task.Status == "cancelled" })
	h.wait(func(ev bridge.Event) bool {
		return ev.Task != nil && ev.Task.ID == b && ev.Task.Stage == "awaiting_approval"
	})
	if st, _ := h.do("POST", "/tasks/"+a+"/cancel", nil); st != 409 {
		t.Fatalf("cancel of a finished task = %d", st)
	}
	if st, _ := h.do("POST", "/tasks/nope/cancel", nil); st != 404 {
		t.Fatalf("cancel of an unknown task = %d", st)
	}
	for _, p := range h.s.Approvals().Pending() {
		if err := h.s.Approvals().Answer(p.ID, false); err != nil {
			t.Fatal(err)
		}
	}
	res := h.wait(isResult)
	if res.TaskID != b || res.Status != "failed" || !strings.Contains(res.ErrorMessage, "did not approve") {
		t.Fatalf("declined result = %s", mustJSON(res))
	}
	if strings.Contains(xev.Output(), "ButtonPress") {
		t.Fatal("a click happened without approval")
	}
	_, state := h.do("GET", "/agent/state", nil)
	if n := len(state["snapshot"].(map[string]any)["active_tasks"].([]any)); n != 0 {
		t.Fatalf("active tasks = %d", n)
	}
	_ = fmt.Sprint()
}
