package session

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Hot swap (reference §6.6) keeps a long voice conversation going while its
// context is compacted: after HotSwapAfter the session so far is settled into
// memory (which summarises it); a later turn end prepares a new realtime
// session with the fresh memory and the lines since; the next turn end swaps
// to it. Mic audio that arrives while the swap completes is cached and
// replayed into the NEW session (the original sent it to the old one).
type hotSwap struct {
	started   time.Time // when the current realtime session began
	triggered time.Time // zero until the renewal is triggered
	cache     []Turn    // lines since the trigger
	snapshot  int       // len(cache) the pending session was built with
	preparing bool
	pending   *realtimeSession
	swapping  bool
	audio     [][]byte // 16 kHz mic audio received during the swap
}

// Defaults of the swap timing.
const (
	DefaultHotSwapAfter   = 40 * time.Second
	DefaultHotSwapPrepare = 10 * time.Second
	maxSwapAudio          = 400 // ~4–13 s of mic frames
)

func (h *Hub) swapAfter() time.Duration {
	if h.deps.HotSwapAfter > 0 {
		return h.deps.HotSwapAfter
	}
	return DefaultHotSwapAfter
}

func (h *Hub) swapPrepare() time.Duration {
	if h.deps.HotSwapPrepare > 0 {
		return h.deps.HotSwapPrepare
	}
	return DefaultHotSwapPrepare
}

// hotSwapStep runs at every realtime turn end.
func (m *Manager) hotSwapStep() {
	sw := &m.swap
	rs := m.rt
	if rs == nil || sw.swapping || sw.preparing {
		return
	}
	switch {
	case sw.pending != nil:
		m.finalSwap()
	case sw.triggered.IsZero():
		if time.Since(sw.started) < m.h.swapAfter() {
			return
		}
		sw.triggered = time.Now()
		sw.cache = nil
		m.syncTurns(true) // settle (renew) what was said so far
	case time.Since(sw.triggered) >= m.h.swapPrepare():
		sw.preparing = true
		sw.snapshot = len(sw.cache)
		lines := append([]Turn(nil), sw.cache...)
		lang := m.lang
		m.h.background(func(ctx context.Context) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			prompt, _ := m.h.prompt(ctx, m.name, lang)
			if len(lines) > 0 {
				prompt += "\n" + m.h.formatLines(m.name, lines)
			}
			next, err := m.h.newRealtimeSession(ctx, m, prompt)
			m.post(func() { m.swapPrepared(rs, next, err) })
		})
	}
}

func (m *Manager) swapPrepared(from, next *realtimeSession, err error) {
	m.swap.preparing = false
	if err != nil || m.rt != from {
		if next != nil {
			next.close()
		}
		if err != nil {
			m.log.Warn("hot swap: preparing the next session failed", "err", err)
			m.status("INTERNAL_UPDATE_FAILED", map[string]any{"error": err.Error()})
			m.swap.triggered = time.Time{} // try again later
		}
		return
	}
	m.swap.pending = next
}

// finalSwap gives the pending session the lines said since it was built,
// then switches to it.
func (m *Manager) finalSwap() {
	sw := &m.swap
	next := sw.pending
	sw.swapping = true
	incr := append([]Turn(nil), sw.cache[min(sw.snapshot, len(sw.cache)):]...)
	text := m.h.formatLines(m.name, incr)
	m.h.background(func(ctx context.Context) {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		var err error
		if strings.TrimSpace(text) != "" {
			err = next.conn.CreateResponse(ctx, text, true)
		}
		m.post(func() { m.swapDone(next, err) })
	})
}

func (m *Manager) swapDone(next *realtimeSession, err error) {
	sw := &m.swap
	sw.swapping = false
	if err != nil || m.rt == nil {
		next.close()
		if err != nil {
			m.log.Warn("hot swap failed; keeping the current session", "err", err)
			m.status("INTERNAL_UPDATE_FAILED", map[string]any{"error": err.Error()})
		}
		m.flushSwapAudio(m.rt)
		*sw = hotSwap{started: sw.started}
		return
	}
	old := m.rt
	m.rt = next
	m.flushSwapAudio(next)
	old.close()
	m.newSpeech()
	*sw = hotSwap{started: time.Now()}
	m.log.Info("hot swap done")
}

// flushSwapAudio sends the mic audio cached during the swap, in order.
func (m *Manager) flushSwapAudio(to *realtimeSession) {
	frames := m.swap.audio
	m.swap.audio = nil
	if to == nil {
		return
	}
	for _, f := range frames {
		chunk := f
		to.enqueue(func(ctx context.Context) error { return to.conn.SendAudio(ctx, chunk) })
	}
}

// formatLines renders turns as the memory context does ("Name | text").
func (h *Hub) formatLines(name string, turns []Turn) string {
	var b strings.Builder
	master := h.masterName()
	for _, t := range turns {
		who := master
		if t.Role == "assistant" {
			who = name
		}
		fmt.Fprintf(&b, "%s | %s\n", who, t.Text)
	}
	return b.String()
}
