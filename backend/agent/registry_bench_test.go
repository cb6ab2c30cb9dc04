package agent

import (
	"fmt"
	"testing"
	"time"

	"neko/backend/bridge"
)

// BenchmarkRegistry measures one task's life in the registry (dedupe check
// against the active tasks, add, run, finish, get) with 50 tasks active.
func BenchmarkRegistry(b *testing.B) {
	r := newRegistry(5*time.Minute, time.Now)
	for i := 0; i < 50; i++ {
		r.addUnlessDuplicate(bridge.Task{ID: fmt.Sprint("bg", i), Status: StatusRunning, Type: TypeComputerUse},
			fmt.Sprintf("background job number %d with some words", i), func() {})
	}
	ids := make([]string, b.N)
	instr := make([]string, b.N)
	for i := range ids {
		ids[i] = newID()
		instr[i] = fmt.Sprintf("open the application called app%d and wait", i)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		t := bridge.Task{ID: ids[i], Status: StatusQueued, Type: TypeComputerUse, Params: map[string]any{"instruction": instr[i]}}
		if _, ok := r.addUnlessDuplicate(t, instr[i], func() {}); !ok {
			b.Fatal("false duplicate")
		}
		r.update(ids[i], func(e *entry) { e.task.Status = StatusRunning })
		r.finish(ids[i], StatusCompleted, "", "ok")
		if _, _, ok := r.get(ids[i]); !ok {
			b.Fatal("lost task")
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tasks/s")
}

func TestDeduperJudgement(t *testing.T) {
	for _, c := range []struct {
		a, b string
		dup  bool
	}{
		{"Open the browser!", "open the browser", true},
		{"open notepad and write hello", "open notepad and write goodbye", false},
		{"打开记事本写你好", "打开记事本写你好。", true},
		{"search the weather in paris for tomorrow", "search the weather in Paris for tomorrow please", false},
		{"click", "click ok", false},
	} {
		if got := similar(normalise(c.a), normalise(c.b)); got != c.dup {
			t.Errorf("similar(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
