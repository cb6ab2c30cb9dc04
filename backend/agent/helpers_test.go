package agent_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/agent"
	"neko/backend/bridge"
	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

// harness is one agent server wired to a scripted provider and a recording
// bridge.
type harness struct {
	t       *testing.T
	s       *agent.Server
	llm     *llmtest.Server
	http    *httptest.Server
	analyze chan bridge.Event
	events  chan bridge.Event
	cancel  context.CancelFunc
	done    chan struct{}

	mu   sync.Mutex
	seen []bridge.Event
}

type harnessOpts struct {
	noModel  bool
	computer agent.ComputerRunner
	browser  agent.BrowserRunner
	cfg      func(*agent.Config)
	now      func() time.Time
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, llm: llmtest.New(t), analyze: make(chan bridge.Event), events: make(chan bridge.Event, 256), done: make(chan struct{})}
	cfg := agent.DefaultConfig(t.TempDir())
	cfg.MCPConnectTimeout = 2 * time.Minute // a failure guard: node starts slowly on a loaded machine
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	ep := llm.Endpoint{BaseURL: h.llm.BaseURL(), APIKey: "k", Model: "test-model"}
	deps := agent.Deps{
		Endpoint: func(string) llm.Endpoint {
			if o.noModel {
				return llm.Endpoint{}
			}
			return ep
		},
		Analyze: h.analyze,
		Send: func(ev bridge.Event) error {
			h.mu.Lock()
			h.seen = append(h.seen, ev)
			h.mu.Unlock()
			select {
			case h.events <- ev:
			default:
			}
			return nil
		},
		Computer: o.computer,
		Browser:  o.browser,
		Now:      o.now,
	}
	s, err := agent.New(cfg, deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	h.http = httptest.NewServer(s.Handler())
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { defer close(h.done); _ = s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-h.done
		h.http.Close()
		s.Close()
	})
	return h
}

func (h *harness) do(method, path string, body any) (int, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, h.http.URL+path, rd)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatalf("%s %s: non-JSON reply %q", method, path, b)
	}
	return res.StatusCode, out
}

func (h *harness) mustOK(method, path string, body any) map[string]any {
	h.t.Helper()
	st, out := h.do(method, path, body)
	if st != 200 || out["success"] == false {
		h.t.Fatalf("%s %s = %d %v", method, path, st, out)
	}
	return out
}

// sync returns once the Run loop has finished every analyze request sent
// before it (the channel is unbuffered and Run handles requests in order).
func (h *harness) sync() {
	h.t.Helper()
	select {
	case h.analyze <- bridge.Event{EventType: bridge.TypeHeartbeat}:
	case <-time.After(30 * time.Second):
		h.t.Fatal("Run loop stuck")
	}
}

// wait returns the next event matching f, failing after a generous guard.
func (h *harness) wait(f func(bridge.Event) bool) bridge.Event {
	h.t.Helper()
	deadline := time.After(90 * time.Second)
	for {
		select {
		case ev := <-h.events:
			if f(ev) {
				return ev
			}
		case <-deadline:
			h.mu.Lock()
			defer h.mu.Unlock()
			h.t.Fatalf("event not seen; got %s", mustJSON(h.seen))
			return bridge.Event{}
		}
	}
}

func isResult(ev bridge.Event) bool { return ev.EventType == bridge.TypeTaskResult }

func taskStatus(status string) func(bridge.Event) bool {
	return func(ev bridge.Event) bool {
		return ev.EventType == bridge.TypeTaskUpdate && ev.Task != nil && ev.Task.Status == status
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func analyzeReq(name string, lines ...string) bridge.Event {
	ev := bridge.Event{EventType: bridge.TypeAnalyzeRequest, EventID: "e-" + lines[len(lines)-1], Trigger: bridge.TriggerTurnEnd, LanlanName: bridge.For(name)}
	for i, l := range lines {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		ev.Messages = append(ev.Messages, bridge.Message{Role: role, Content: l})
	}
	return ev
}

// script routes each LLM request to analyzer, planner or summary answers by
// the system prompt the agent sent.
type script struct {
	analyzer, planner, summary func(req llmtest.ChatRequest) llmtest.ChatReply
}

func (h *harness) script(s script) {
	h.llm.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		sys := ""
		if len(req.Messages) > 0 {
			sys = req.Messages[0].Content
		}
		switch {
		case strings.Contains(sys, "task analyzer") && s.analyzer != nil:
			return s.analyzer(req)
		case strings.Contains(sys, "planner") && s.planner != nil:
			return s.planner(req)
		case strings.Contains(sys, "Summarise") && s.summary != nil:
			return s.summary(req)
		}
		return llmtest.ChatReply{Status: 500}
	})
}

func text(s string) func(llmtest.ChatRequest) llmtest.ChatReply {
	return func(llmtest.ChatRequest) llmtest.ChatReply { return llmtest.ChatReply{Text: s} }
}

func (h *harness) countRequests(kind string) int {
	n := 0
	for _, r := range h.llm.Requests() {
		if len(r.Messages) > 0 && strings.Contains(r.Messages[0].Content, kind) {
			n++
		}
	}
	return n
}
