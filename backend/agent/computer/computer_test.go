package computer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"neko/backend/agent/computer"
	"neko/backend/agent/internal/xvfbtest"
	"neko/backend/agent/model"
	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

// scripted returns a vision model that answers the given steps in order
// (repeating the last one), and the provider to inspect requests.
func scripted(t *testing.T, steps ...string) (model.Model, *llmtest.Server) {
	t.Helper()
	srv := llmtest.New(t)
	var n atomic.Int32
	srv.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		i := int(n.Add(1)) - 1
		if i >= len(steps) {
			i = len(steps) - 1
		}
		return llmtest.ChatReply{Text: steps[i]}
	})
	m := model.FromEndpoints(func(string) llm.Endpoint {
		return llm.Endpoint{BaseURL: srv.BaseURL(), APIKey: "k", Model: "vision"}
	}, nil)(RoleAgent)
	return m, srv
}

const RoleAgent = "agent"

var typingSteps = []string{
	`{"thought":"the window is there","action":"click","x":300,"y":300}`,
	`{"thought":"type","action":"type","text":"Hi!"}`,
	`{"thought":"submit","action":"key","keys":"Return"}`,
	`{"thought":"all done","action":"done","answer":"typed Hi! into the window"}`,
}

type approver struct {
	mu     sync.Mutex
	answer bool
	seen   []computer.Approval
}

func (a *approver) approve(_ context.Context, ap computer.Approval) (bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, ap)
	return a.answer, nil
}

func setup(t *testing.T) (display string, xev *xvfbtest.Client, audit string) {
	t.Helper()
	display = xvfbtest.Start(t, 1000, 800)
	xev = xvfbtest.Xev(t, display, "neko-victim", "600x400+0+0")
	return display, xev, t.TempDir()
}

func opts(display, audit string) computer.Options {
	return computer.Options{Display: display, AuditDir: audit, Settle: 20 * time.Millisecond, MaxSteps: 8}
}

func waitFor(t *testing.T, c *xvfbtest.Client, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.Output(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("xev never printed %q; got:\n%s", want, c.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func auditLines(t *testing.T, dir string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "audit.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad audit line %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

func TestApprovedActionsReachARealWindow(t *testing.T) {
	display, xev, audit := setup(t)
	m, srv := scripted(t, typingSteps...)
	o := opts(display, audit)
	o.RequireApproval = true
	r := computer.New(o, nil)
	if ok, why := r.Available(); !ok {
		t.Fatalf("unavailable: %s", why)
	}
	ap := &approver{answer: true}
	res, err := r.Run(context.Background(), computer.Task{ID: "t1", Instruction: "type Hi! in the window", Model: m, Approve: ap.approve})
	if err != nil || !res.Success || res.Answer != "typed Hi! into the window" || res.Steps != 4 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	// 300/999 of 1000×800 → (300, 240) in pixels.
	waitFor(t, xev, "ButtonPress event")
	if !strings.Contains(xev.Output(), "root:(300,240)") {
		t.Fatalf("click not at (300,240):\n%s", xev.Output())
	}
	for _, ks := range []string{"keysym 0x48, H)", "keysym 0x69, i)", "keysym 0x21, exclam)", "Return)"} {
		waitFor(t, xev, ks)
	}
	loc, err := xvfbtest.Run(t, display, "xdotool", "getmouselocation")
	if err != nil || !strings.HasPrefix(loc, "x:300 y:240") {
		t.Fatalf("pointer = %q, %v", loc, err)
	}
	if len(ap.seen) != 3 || ap.seen[0].Description != "click at (300, 240)" || !strings.Contains(ap.seen[0].Window, "neko-victim") {
		t.Fatalf("approvals = %+v", ap.seen)
	}
	// The vision model saw a real JPEG screenshot each step.
	reqs := srv.Requests()
	last := reqs[len(reqs)-1].Messages
	if imgs := last[len(last)-1].Images; len(imgs) != 1 || !strings.HasPrefix(imgs[0], "data:image/jpeg;base64,") {
		t.Fatalf("no screenshot in the last request")
	}
	lines := auditLines(t, audit)
	executed := 0
	for _, l := range lines {
		if l["decision"] == "executed" {
			executed++
			if l["approved"] != true {
				t.Errorf("executed without approval: %v", l)
			}
		}
		if s, ok := l["screenshot"].(string); ok {
			if fi, err := os.Stat(filepath.Join(audit, s)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("screenshot %s: %v", s, err)
			}
		}
	}
	if executed != 3 || lines[0]["event"] != "start" || lines[len(lines)-1]["event"] != "end" {
		t.Fatalf("audit = %v", lines)
	}
}

func TestDryRunTouchesNothing(t *testing.T) {
	display, xev, audit := setup(t)
	m, _ := scripted(t, typingSteps...)
	o := opts(display, audit)
	o.DryRun = true
	before, _ := xvfbtest.Run(t, display, "xdotool", "getmouselocation")
	res, err := computer.New(o, nil).Run(context.Background(), computer.Task{ID: "t2", Instruction: "type Hi!", Model: m})
	if err != nil || !res.Success || !res.DryRun || !strings.HasPrefix(res.Answer, "Dry run") || len(res.Actions) != 3 {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	after, _ := xvfbtest.Run(t, display, "xdotool", "getmouselocation")
	if before != after || strings.Contains(xev.Output(), "ButtonPress") || strings.Contains(xev.Output(), "KeyPress") {
		t.Fatalf("dry run acted: pointer %q → %q\n%s", before, after, xev.Output())
	}
	for _, l := range auditLines(t, audit) {
		if l["event"] == "action" && l["decision"] != "dry_run" && l["decision"] != "done" {
			t.Fatalf("audit decision %v", l)
		}
	}
}

func TestDeclinedAndDeniedActions(t *testing.T) {
	display, xev, audit := setup(t)
	m, _ := scripted(t, typingSteps...)
	o := opts(display, audit)
	o.RequireApproval = true
	ap := &approver{answer: false}
	_, err := computer.New(o, nil).Run(context.Background(), computer.Task{ID: "t3", Instruction: "type", Model: m, Approve: ap.approve})
	if err == nil || !strings.Contains(err.Error(), "did not approve") {
		t.Fatalf("declined err = %v", err)
	}
	o.RequireApproval = false
	o.DenyList = []string{"NEKO-VICTIM"}
	m2, _ := scripted(t, typingSteps...)
	_, err = computer.New(o, nil).Run(context.Background(), computer.Task{ID: "t4", Instruction: "type", Model: m2})
	if err == nil || !strings.Contains(err.Error(), "deny-list") {
		t.Fatalf("denied err = %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(xev.Output(), "ButtonPress") {
		t.Fatalf("a refused click reached the window:\n%s", xev.Output())
	}
	// Without an approver nothing runs when approval is required.
	o.DenyList, o.RequireApproval = nil, true
	if _, err := computer.New(o, nil).Run(context.Background(), computer.Task{ID: "t5", Instruction: "x", Model: m2}); err == nil {
		t.Fatal("ran without an approver")
	}
}

func TestBadModelOutputAndStepCap(t *testing.T) {
	display := xvfbtest.Start(t, 640, 480)
	o := computer.Options{Display: display, MaxSteps: 3, Settle: time.Millisecond}
	for _, c := range []struct{ answer, want string }{
		{"I would click the button", "not valid JSON"},
		{`{"action":"click","x":5000,"y":1}`, "0–999"},
		{`{"action":"rm -rf"}`, "unknown action"},
		{`{"action":"wait","seconds":0.01}`, "step cap reached (3 steps)"},
		{`{"action":"fail","answer":"no such app"}`, "no such app"},
	} {
		m, _ := scripted(t, c.answer)
		_, err := computer.New(o, nil).Run(context.Background(), computer.Task{ID: "bad", Instruction: "x", Model: m})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.answer, err, c.want)
		}
	}
}

func TestUnavailableDisplay(t *testing.T) {
	r := computer.New(computer.Options{Display: ":987"}, nil)
	if ok, why := r.Available(); ok || why == "" {
		t.Fatalf("Available = %v %q", ok, why)
	}
	m, _ := scripted(t, `{"action":"done"}`)
	if _, err := r.Run(context.Background(), computer.Task{ID: "x", Instruction: "x", Model: m}); err == nil {
		t.Fatal("ran without a display")
	}
}
