package agent_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"neko/backend/agent"
	"neko/backend/agent/computer"
	"neko/backend/agent/model"
	"neko/backend/bridge"
)

// instantComputer finishes every task at once (the benchmark measures the
// agent's own overhead, not a desktop).
type instantComputer struct{}

func (instantComputer) Available() (bool, string) { return true, "" }
func (instantComputer) Close() error              { return nil }
func (instantComputer) Run(context.Context, computer.Task) (computer.Result, error) {
	return computer.Result{Success: true, Answer: "ok"}, nil
}

// BenchmarkAnalyzeToDispatch measures analyze_request in → task_update
// (queued) out, with a model that answers instantly.
func BenchmarkAnalyzeToDispatch(b *testing.B) {
	var n atomic.Int64
	m := model.Func(func(_ context.Context, req model.Request) (string, error) {
		sys := req.Messages[0].Content
		switch {
		case strings.Contains(sys, "task analyzer"):
			return fmt.Sprintf(`{"tasks":["open app number %d"]}`, n.Add(1)), nil
		case strings.Contains(sys, "planner"):
			return `{"method":"computer_use"}`, nil
		}
		return `{"summary":"done"}`, nil
	})
	queued := make(chan struct{}, 1024)
	analyze := make(chan bridge.Event)
	s, err := agent.New(agent.DefaultConfig(b.TempDir()), agent.Deps{
		Model:    func(string) model.Model { return m },
		Analyze:  analyze,
		Computer: instantComputer{},
		Send: func(ev bridge.Event) error {
			if ev.EventType == bridge.TypeTaskUpdate && ev.Task.Status == "queued" {
				queued <- struct{}{}
			}
			return nil
		},
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx)
	h := s.Handler()
	for _, body := range []string{`{"command":"set_agent_enabled","enabled":true}`, `{"command":"set_flag","key":"computer_use_enabled","value":true}`} {
		if code := serve(h, "POST", "/agent/command", body); code != 200 {
			b.Fatalf("setup = %d", code)
		}
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		analyze <- bridge.Event{EventType: bridge.TypeAnalyzeRequest, LanlanName: bridge.For("Lan"),
			Messages: []bridge.Message{{Role: "user", Content: fmt.Sprintf("please open app %d", i)}}}
		<-queued
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/dispatch")
}

func serve(h http.Handler, method, path, body string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec.Code
}
