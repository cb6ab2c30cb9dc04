package session

import (
	"context"
	"strings"
	"time"

	"neko/backend/bridge"
)

func (m *Manager) recordTurn(role, text string) {
	t := Turn{Role: role, Text: text}
	m.session = append(m.session, t)
	if len(m.session) > 12 { // only the recent lines are needed (analyze requests)
		m.session = append(m.session[:0:0], m.session[len(m.session)-12:]...)
	}
	m.unsynced = append(m.unsynced, t)
	if !m.swap.triggered.IsZero() {
		m.swap.cache = append(m.swap.cache, t)
	}
}

// turnEnd runs after every assistant turn: memory sync, the agent's analyze
// request, the repetition check, and agent results waiting to be told.
func (m *Manager) turnEnd(reply string) {
	if strings.TrimSpace(reply) != "" {
		m.recordTurn("assistant", reply)
	}
	m.syncTurns(false)
	m.analyze(bridge.TriggerTurnEnd)
	if len(m.callbacks) > 0 && m.text != nil {
		m.deliverCallbacks()
	}
}

// analyze asks the agent whether the recent conversation holds a task.
func (m *Manager) analyze(trigger string) {
	if m.h.deps.Analyze == nil || (m.h.deps.AgentEnabled != nil && !m.h.deps.AgentEnabled()) {
		return
	}
	var msgs []bridge.Message
	for i := len(m.session) - 1; i >= 0 && len(msgs) < 6; i-- {
		msgs = append([]bridge.Message{{Role: m.session[i].Role, Content: m.session[i].Text}}, msgs...)
	}
	if len(msgs) == 0 {
		return
	}
	ev := bridge.Event{LanlanName: bridge.For(m.name), Trigger: trigger, Messages: msgs}
	m.h.background(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if _, err := m.h.deps.Analyze(ctx, ev); err != nil {
			m.h.log.Debug("analyze request not acknowledged", "lanlan_name", m.name, "err", err)
		}
	})
}

// checkRepetition warns when a reply is ≥0.8 similar to 2 of the last 3.
func (m *Manager) checkRepetition(reply string) bool {
	similar := 0
	for _, r := range m.replies {
		if similarity(r, reply) >= 0.8 {
			similar++
		}
	}
	m.replies = append(m.replies, reply)
	if len(m.replies) > 3 {
		m.replies = m.replies[len(m.replies)-3:]
	}
	if similar >= 2 {
		m.toClient(map[string]any{"type": "repetition_warning", "name": m.name})
		m.replies = nil
		return true
	}
	return false
}

// similarity is 2·LCS/(len a + len b) over runes (difflib-like ratio).
func similarity(a, b string) float64 {
	ra, rb := []rune(a), []rune(b)
	if len(ra)+len(rb) == 0 {
		return 1
	}
	if len(ra) > 400 {
		ra = ra[:400]
	}
	if len(rb) > 400 {
		rb = rb[:400]
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			if ra[i-1] == rb[j-1] {
				cur[j] = prev[j-1] + 1
			} else if prev[j] > cur[j-1] {
				cur[j] = prev[j]
			} else {
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	return 2 * float64(prev[len(rb)]) / float64(len(ra)+len(rb))
}

// agentResult queues a finished task for her to tell (reference §6.8).
func (m *Manager) agentResult(ev bridge.Event) {
	m.callbacks = append(m.callbacks, ev)
	note := map[string]any{"type": "agent_notification", "text": ev.Text, "source": "brain", "status": ev.Status}
	if ev.ErrorMessage != "" {
		note["error_message"] = ev.ErrorMessage
	}
	m.toClient(note)
	switch {
	case m.text != nil && m.text.cancel == nil:
		m.deliverCallbacks()
	case m.mode == "" && !m.starting && m.conn != nil:
		m.startSession(ModeText) // delivered once the session is ready
	}
}

// deliverCallbacks has her report the finished tasks in character: the
// results go in as a system line and she answers it like a user turn.
func (m *Manager) deliverCallbacks() {
	if m.text == nil || len(m.callbacks) == 0 || m.text.cancel != nil {
		return
	}
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(loc(agentCallbackHeader, m.lang), "%s", m.h.masterName()))
	for _, cb := range m.callbacks {
		mark := "✅"
		switch {
		case cb.Status == "failed" || (cb.Success != nil && !*cb.Success):
			mark = "❌"
		case cb.Status == "partial":
			mark = "⚠️"
		}
		line := cb.Summary
		if line == "" {
			line = cb.Text
		}
		b.WriteString(mark + " " + line)
		if cb.Detail != "" {
			b.WriteString("（详细结果：" + cb.Detail + "）")
		}
		b.WriteString("\n")
	}
	m.callbacks = nil
	m.newSpeech()
	m.text.history = append(m.text.history, systemLine(b.String()))
	m.text.attempt = 0
	m.streamTurn()
}
