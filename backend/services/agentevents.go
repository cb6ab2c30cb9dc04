package services

import (
	"context"
	"log/slog"

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
}

func newAgentEvents(log *slog.Logger) *agentEvents {
	return &agentEvents{log: log.With("component", "agent-events"),
		hasSession: func(string) bool { return false },
		deliver:    func(bridge.Delivery, bridge.Event) {}}
}

func (a *agentEvents) handle(ev bridge.Event) {
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
}

func (a *analyzer) enabled() bool { return a.bridge != nil && a.bridge.AgentAlive() }

func (a *analyzer) send(ctx context.Context, ev bridge.Event) (string, error) {
	return a.bridge.Analyze(ctx, ev)
}
