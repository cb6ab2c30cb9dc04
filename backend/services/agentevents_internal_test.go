package services

import (
	"log/slog"
	"testing"

	"neko/backend/bridge"
)

// A lost agent fails its tracked tasks, unless the loss was only late
// heartbeats and the agent server still answers (a starved, living agent).
func TestAgentLostFailsTasksOnlyWhenTheAgentIsGone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  string
		answers bool
		failed  bool
	}{
		{"late heartbeats, agent answers", bridge.AgentLostTimeout, true, false},
		{"late heartbeats, agent gone", bridge.AgentLostTimeout, false, true},
		{"agent restarted", bridge.AgentLostRestart, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAgentEvents(slog.New(slog.DiscardHandler))
			a.hasSession = func(string) bool { return true }
			var got []bridge.Event
			a.deliver = func(_ bridge.Delivery, ev bridge.Event) { got = append(got, ev) }
			asked := false
			a.answers = func() bool { asked = true; return tc.answers }
			a.handle(bridge.Event{EventType: bridge.TypeTaskUpdate, LanlanName: bridge.For("小天"),
				Task: &bridge.Task{ID: "t1", Status: "running", LanlanName: "小天", Type: "mcp"}})
			got = nil
			a.handle(bridge.Event{EventType: bridge.TypeAgentLost, Status: tc.status, ErrorMessage: "gone"})
			failed := false
			for _, ev := range got {
				if ev.EventType == bridge.TypeTaskResult && ev.TaskID == "t1" && ev.Status == "failed" {
					failed = true
				}
			}
			if failed != tc.failed {
				t.Fatalf("task failed = %v, want %v (events %+v)", failed, tc.failed, got)
			}
			if tc.status == bridge.AgentLostRestart && asked {
				t.Fatal("a restarted agent was asked whether it answers (its tasks are gone either way)")
			}
			// A task kept is still failed when the agent really goes.
			if !tc.failed {
				a.answers = func() bool { return false }
				a.handle(bridge.Event{EventType: bridge.TypeAgentLost, Status: bridge.AgentLostTimeout, ErrorMessage: "gone"})
				if len(a.inFlight) != 0 {
					t.Fatal("the kept task was not failed once the agent was gone")
				}
			}
		})
	}
}
