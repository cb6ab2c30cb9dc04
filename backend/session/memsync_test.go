package session_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"neko/backend/llm/llmtest"
)

// While the memory server fails (down, disk full) the turns are kept and
// the page is told once; when it works again every kept turn reaches it, in
// order, and the page hears that too.
func TestMemorySyncKeepsTurnsWhileMemoryFails(t *testing.T) {
	r := newRig(t)
	r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"好的。"}}
	})
	r.mem.mu.Lock()
	r.mem.fail = errors.New("memory: 507 disk_full")
	r.mem.mu.Unlock()
	status := func(code string) func(frame) bool {
		return func(f frame) bool {
			return f.JSON != nil && f.JSON["type"] == "status" && strings.Contains(f.JSON["message"].(string), code)
		}
	}
	c := r.dial("小天")
	c.Send(map[string]any{"action": "start_session", "input_type": "text"})
	c.Until(5*time.Second, typeIs("session_started"))
	c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "第一句"})
	c.Until(10*time.Second, turnEnd)
	got := c.Until(10*time.Second, status("MEMORY_SYNC_FAILED"))
	if !strings.Contains(describe(got), "disk_full") {
		t.Fatalf("the status does not say why: %s", describe(got))
	}
	c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "第二句"})
	more := c.Until(10*time.Second, turnEnd)
	// The second turn's sync runs on the memory worker after the turn
	// ends: let it fail too before memory comes back.
	waitFor(t, func() bool { r.mem.mu.Lock(); defer r.mem.mu.Unlock(); return r.mem.calls >= 2 })
	r.mem.mu.Lock()
	r.mem.fail = nil
	r.mem.mu.Unlock()
	if strings.Contains(describe(more), "MEMORY_SYNC_FAILED") {
		t.Fatalf("told twice: %s", describe(more))
	}
	c.Send(map[string]any{"action": "stream_data", "input_type": "text", "data": "第三句"})
	c.Until(10*time.Second, status("MEMORY_SYNC_RESTORED"))
	r.mem.mu.Lock()
	defer r.mem.mu.Unlock()
	if len(r.mem.cached) != 1 {
		t.Fatalf("cache calls that stored: %d", len(r.mem.cached))
	}
	var users []string
	for _, turn := range r.mem.cached[0] {
		if turn.Role == "user" {
			users = append(users, turn.Text)
		}
	}
	if strings.Join(users, ",") != "第一句,第二句,第三句" {
		t.Fatalf("kept turns: %v (all %d)", users, len(r.mem.cached[0]))
	}
}

// Closing the hub twice (a shutdown path that runs twice) is harmless.
func TestHubCloseTwice(t *testing.T) {
	r := newRig(t)
	c := r.dial("小天")
	c.Send(map[string]any{"action": "start_session", "input_type": "text"})
	c.Until(5*time.Second, typeIs("session_started"))
	r.hub.Close()
	r.hub.Close() // and once more by the rig's cleanup
}
