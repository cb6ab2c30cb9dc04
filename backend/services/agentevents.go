package services

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"neko/backend/bridge"
)

// agentEvents routes events from the agent to the conversation sessions by
// the original's rules (bridge.Route). Until a conversation engine is wired,
// no character has a session, so task results are dropped (never broadcast)
// and updates are logged.
//
// It also keeps the tasks the agent reported queued or running: when the
// bridge loses the agent (its process died or was replaced), those tasks
// can never finish, so each is reported failed to its character's clients
// with the reason, instead of spinning in the task HUD forever.
type agentEvents struct {
	log        *slog.Logger
	hasSession func(name string) bool
	deliver    func(d bridge.Delivery, ev bridge.Event)
	analyzer   *analyzer // mirrors the agent's master switch from its status snapshots
	now        func() time.Time
	inFlight   map[string]bridge.Task // by task id; touched only from handle (the bridge serialises it)
	// answers reports whether the agent server still answers HTTP: late
	// heartbeats from a starved but living agent (a loaded machine, a
	// long GC) must not fail tasks that are still running. Nil: never.
	answers func() bool
}

func newAgentEvents(log *slog.Logger) *agentEvents {
	return &agentEvents{log: log.With("component", "agent-events"),
		hasSession: func(string) bool { return false },
		deliver:    func(bridge.Delivery, bridge.Event) {},
		now:        time.Now,
		inFlight:   map[string]bridge.Task{}}
}

// maxInFlight bounds the tracked tasks (the agent drops finished ones on its
// side; a task whose end we never hear of must not grow this forever).
const maxInFlight = 1024

func (a *agentEvents) handle(ev bridge.Event) {
	switch ev.EventType {
	case bridge.TypeAgentStatusUpdate:
		if a.analyzer != nil {
			if on, ok := ev.Snapshot["analyzer_enabled"].(bool); ok {
				a.analyzer.on.Store(on)
			}
		}
	case bridge.TypeTaskUpdate:
		a.track(ev)
	case bridge.TypeTaskResult:
		delete(a.inFlight, ev.TaskID)
	case bridge.TypeAgentLost:
		if ev.Status == bridge.AgentLostTimeout && len(a.inFlight) > 0 && a.answers != nil && a.answers() {
			a.log.Warn("agent heartbeats late but its server answers; its tasks are kept", "tasks", len(a.inFlight))
			return
		}
		a.failInFlight(ev)
		return
	}
	d := bridge.Route(ev, a.hasSession)
	if d == bridge.Drop {
		a.log.Debug("agent event dropped", "type", ev.EventType, "lanlan_name", ev.Name())
		return
	}
	a.deliver(d, ev)
}

// track records a task while it is queued or running.
func (a *agentEvents) track(ev bridge.Event) {
	if ev.Task == nil || ev.Task.ID == "" {
		return
	}
	t := *ev.Task
	if t.Status != "queued" && t.Status != "running" {
		delete(a.inFlight, t.ID)
		return
	}
	if t.LanlanName == "" {
		t.LanlanName = ev.Name()
	}
	if _, ok := a.inFlight[t.ID]; !ok && len(a.inFlight) >= maxInFlight {
		a.log.Warn("too many agent tasks in flight; not tracking", "task", t.ID)
		return
	}
	a.inFlight[t.ID] = t
}

// failInFlight reports every task the lost agent was running as failed,
// with the messages the agent itself sends for a failed task: a task_update
// (the task HUD) and a task_result, which shows the error toast and has
// the character tell the user in her own words (reference §3.2, §6.8).
func (a *agentEvents) failInFlight(lost bridge.Event) {
	if len(a.inFlight) == 0 {
		return
	}
	ids := make([]string, 0, len(a.inFlight))
	for id := range a.inFlight {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	end := a.now().UTC().Format("2006-01-02T15:04:05.000Z")
	for _, id := range ids {
		t := a.inFlight[id]
		delete(a.inFlight, id)
		t.Status, t.EndTime, t.Error = "failed", end, lost.ErrorMessage
		t.Progress, t.Stage, t.Message = nil, "", ""
		a.log.Warn("agent task failed: agent lost", "task", t.ID, "lanlan_name", t.LanlanName, "reason", lost.Status)
		upd := bridge.Event{EventType: bridge.TypeTaskUpdate, LanlanName: bridge.For(t.LanlanName), Task: &t}
		if d := bridge.Route(upd, a.hasSession); d != bridge.Drop {
			a.deliver(d, upd)
		}
		no := false
		summary := fmt.Sprintf("Your task \"%s\" failed: %s", taskWhat(t), lost.ErrorMessage)
		res := bridge.Event{EventType: bridge.TypeTaskResult, LanlanName: bridge.For(t.LanlanName), Text: summary,
			TaskID: t.ID, Channel: t.Type, Status: "failed", Success: &no, Summary: summary,
			ErrorMessage: lost.ErrorMessage, Timestamp: end}
		if d := bridge.Route(res, a.hasSession); d != bridge.Drop {
			a.deliver(d, res)
		}
	}
}

// taskWhat is a task's instruction, or its type when it has none.
func taskWhat(t bridge.Task) string {
	if s, ok := t.Params["instruction"].(string); ok && s != "" {
		return s
	}
	return t.Type
}

// analyzer sends analyze requests to the agent over the bridge while the
// agent is connected (a missing agent must not slow a turn down).
type analyzer struct {
	bridge *bridge.MainSide
	on     atomic.Bool // the user's master agent switch (mirrored from /api/agent/flags)
}

func (a *analyzer) enabled() bool { return a.on.Load() && a.bridge != nil && a.bridge.AgentAlive() }

// onFlags mirrors the agent switches set through the main server's proxy.
func (a *analyzer) onFlags(_ string, agentEnabled *bool, flags map[string]bool) {
	if agentEnabled != nil {
		a.on.Store(*agentEnabled)
		return
	}
	any := false
	for _, v := range flags {
		any = any || v
	}
	if !any {
		a.on.Store(false)
	}
}

// legacy publishes /api/agent/internal/analyze_request on the session PUB
// socket, as the original did (no ack).
func (a *analyzer) legacy(ctx context.Context, lanlan, trigger string, msgs []bridge.Message) error {
	return a.bridge.Publish(bridge.Event{EventType: bridge.TypeAnalyzeRequest, LanlanName: bridge.For(lanlan), Trigger: trigger, Messages: msgs})
}

func (a *analyzer) send(ctx context.Context, ev bridge.Event) (string, error) {
	return a.bridge.Analyze(ctx, ev)
}
