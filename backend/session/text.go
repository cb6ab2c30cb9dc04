package session

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"neko/backend/llm"
)

// textSession is a text-mode conversation: a streaming chat client and the
// message history that starts with the system prompt.
type textSession struct {
	chat    *llm.ChatClient
	vision  *llm.ChatClient // nil: images go to chat
	history []llm.Message
	maxLen  int
	cancel  context.CancelFunc // the turn in flight
	seq     int
	attempt int
}

func (t *textSession) close() {
	if t.cancel != nil {
		t.cancel()
		t.cancel = nil
	}
}

const maxRerolls = 2

// userText starts a text turn: the old speech is interrupted, then the reply
// streams back as gemini_response deltas and TTS audio.
func (m *Manager) userText(text string) {
	t := m.text
	m.newSpeech()
	t.close()
	msg := llm.Message{Role: "user", Content: text, Images: m.images}
	m.images = nil
	t.history = append(t.history, msg)
	m.recordTurn("user", text)
	t.attempt = 0
	m.streamTurn()
}

// streamTurn runs one completion of the current history.
func (m *Manager) streamTurn() {
	t := m.text
	t.seq++
	seq := t.seq
	ctx, cancel := context.WithCancel(context.Background())
	t.cancel = cancel
	client := t.chat
	if t.vision != nil && len(t.history) > 0 && len(t.history[len(t.history)-1].Images) > 0 {
		client = t.vision
	}
	req := llm.ChatRequest{Messages: append([]llm.Message(nil), t.history...)}
	go func() {
		first := true
		var guard replyGuard
		resp, err := client.Stream(ctx, req, func(delta string) error {
			delta, stop := guard.add(delta)
			if delta != "" {
				isFirst := first
				first = false
				m.post(func() { m.textDelta(seq, delta, isFirst) })
			}
			if stop {
				return errStopReply
			}
			return nil
		})
		full := guard.text()
		if err == errStopReply {
			err = nil
		}
		_ = resp
		m.post(func() { m.textDone(seq, full, err) })
	}()
}

var errStopReply = fmt.Errorf("reply cut by the guard")

func (m *Manager) textDelta(seq int, delta string, first bool) {
	if m.text == nil || seq != m.text.seq {
		return // a cancelled turn
	}
	m.turnText.WriteString(delta)
	m.toClient(map[string]any{"type": "gemini_response", "text": delta, "isNewMessage": first})
	if m.worker != nil {
		m.worker.Speak(m.speechID, delta)
	}
}

func (m *Manager) textDone(seq int, full string, err error) {
	t := m.text
	if t == nil || seq != t.seq {
		return
	}
	t.cancel = nil
	if err != nil {
		if m.ctxCancelled(err) {
			return
		}
		m.log.Warn("text turn failed", "err", err)
		m.status(errorCode(err), map[string]any{"error": err.Error()})
		m.toClient(map[string]any{"type": "system", "data": "turn end"})
		return
	}
	if n := countWordsAndChars(full); t.maxLen > 0 && n > t.maxLen {
		t.attempt++
		retry := t.attempt <= maxRerolls
		m.toClient(map[string]any{"type": "response_discarded", "reason": "RESPONSE_TOO_LONG", "attempt": t.attempt,
			"max_attempts": maxRerolls + 1, "will_retry": retry, "message": fmt.Sprintf("reply of %d words/characters is over the limit of %d", n, t.maxLen)})
		m.newSpeech()
		if retry {
			m.streamTurn()
			return
		}
		m.status("RESPONSE_TOO_LONG", map[string]any{"limit": t.maxLen})
		m.toClient(map[string]any{"type": "system", "data": "turn end"})
		return
	}
	if m.worker != nil {
		m.worker.End()
	}
	m.speaking = m.worker != nil
	m.h.deps.Fanout.EndSpeech(m.name, m.speechID)
	t.history = append(t.history, llm.Message{Role: "assistant", Content: full})
	m.toClient(map[string]any{"type": "system", "data": "turn end"})
	m.turnEnd(full)
	if m.checkRepetition(full) {
		t.history = t.history[:1] // the original resets to the system prompt
	}
}

func (m *Manager) ctxCancelled(err error) bool {
	return err == context.Canceled || strings.Contains(err.Error(), context.Canceled.Error())
}

// replyGuard cuts the reply at the second "|" (the model writing a fake
// "Name | text" turn for the user).
type replyGuard struct {
	b     strings.Builder
	pipes int
	done  bool
}

func (g *replyGuard) add(delta string) (string, bool) {
	if g.done {
		return "", true
	}
	for i, r := range delta {
		if r == '|' {
			g.pipes++
			if g.pipes == 2 {
				g.done = true
				g.b.WriteString(delta[:i])
				return delta[:i], true
			}
		}
	}
	g.b.WriteString(delta)
	return delta, false
}

func (g *replyGuard) text() string { return strings.TrimSpace(g.b.String()) }

// countWordsAndChars counts Latin words plus CJK characters, as the
// original's length guard does.
func countWordsAndChars(s string) int {
	n, inWord := 0, false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
			n++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				n++
				inWord = true
			}
		default:
			inWord = false
		}
	}
	return n
}

// systemLine is a notice from the app to the model, sent as a user-role
// message (providers differ on system messages mid-conversation).
func systemLine(text string) llm.Message { return llm.Message{Role: "user", Content: text} }
