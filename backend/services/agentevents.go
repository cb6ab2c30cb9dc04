package services

import (
	"context"
	"log/slog"
	"sync/atomic"

	"neko/backend/bridge"
)

// agentEvents routes events from the agent to the conversation sessions by
// the original's rules (bridge.Route). Until a conversation engine is wired,
// no character has a session, so task results are dropped (never broadcast)
// and updates are logged.
type agentEvents struct {
	log        *slog.Logger
	hasSession func(name string) bool
	deliver    func(d bridge.Delivery, ev bridge.Event)
	analyzer   *analyzer // mirrors the agent's master switch from its status snapshots
}

func newAgentEvents(log *slog.Logger) *agentEvents {
	return &agentEvents{log: log.With("component", "agent-events"),
		hasSession: func(string) bool { return false },
		deliver:    func(bridge.Delivery, bridge.Event) {}}
}

func (a *agentEvents) handle(ev bridge.Event) {
	if ev.EventType == bridge.TypeAgentStatusUpdate && a.analyzer != nil {
		if on, ok := ev.Snapshot["analyzer_enabled"].(bool); ok {
			a.analyzer.on.Store(on)
		}
	}
	d := bridge.Route(ev, a.hasSession)
	if d == bridge.Drop {
		a.log.Debug("agent event dropped", "type", ev.EventType, "lanlan_name", ev.Name())
		return
	}
	a.deliver(d, ev)
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
