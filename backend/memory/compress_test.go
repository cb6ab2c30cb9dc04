package memory_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"neko/backend/llm/llmtest"
	"neko/backend/memory"
	"neko/backend/memory/msg"
)

// A long history is summarised chunk by chunk (map), the partial summaries
// together (reduce), and the memo is cut at MemoMaxChars however long the
// model's answer is.
func TestMapReduceCompressionWithHardCap(t *testing.T) {
	e := newEnvCfg(t, true, false, func(c *memory.Config) { c.ChunkChars = 300; c.MemoMaxChars = 40; c.MaxChunks = 3 })
	var mu sync.Mutex
	var prompts []string
	e.llm.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		if req.Model == "m-correction" {
			return llmtest.ChatReply{Text: `{"修正说明":"","修正后的对话":[]}`}
		}
		mu.Lock()
		prompts = append(prompts, req.LastUser())
		mu.Unlock()
		return llmtest.ChatReply{Text: `{"对话摘要": "` + strings.Repeat("长", 100) + `"}`}
	})
	var pairs []string
	for i := 0; i < 40; i++ {
		pairs = append(pairs, "user", "这是第"+itoa(i)+"句比较长的话，用来把历史撑大。", "ai", "好的，我记住了第"+itoa(i)+"句。")
	}
	if code, body := e.do("POST", "/process/test", history(t, pairs...)); code != 200 {
		t.Fatalf("process: %d %s", code, body)
	}
	mu.Lock()
	defer mu.Unlock()
	// Session summary: 3 map calls (capped) + 1 reduce; recent memory: the
	// same again over its older part.
	mapCalls, reduceCalls := 0, 0
	for _, p := range prompts {
		switch {
		case strings.Contains(p, "======对话======"):
			mapCalls++
		case strings.Contains(p, "======摘要======"):
			reduceCalls++
		}
	}
	if mapCalls != 6 || reduceCalls != 2 {
		t.Fatalf("map=%d reduce=%d calls", mapCalls, reduceCalls)
	}
	list := readRecent(t, e, "test")
	if len(list) != 10 || list[0].Text != msg.MemoPrefix+strings.Repeat("长", 40) {
		t.Fatalf("memo not capped: %d %q", len(list), list[0].Text)
	}
	_, body := e.do("GET", "/memory/test/archive/compressed", "")
	if !strings.Contains(body, `"text":"`+strings.Repeat("长", 40)+`"`) {
		t.Fatalf("archived summary: %s", body)
	}
}

// Without a summary model nothing is lost: the originals are archived and
// recent memory keeps its messages (up to three times the normal size)
// instead of the original's "memo: none".
func TestSettleWithoutSummaryModel(t *testing.T) {
	e := newEnv(t, false, false)
	var pairs []string
	for i := 0; i < 20; i++ {
		pairs = append(pairs, "user", "message "+itoa(i))
	}
	e.do("POST", "/cache/test", history(t, pairs...))
	if code, body := e.do("POST", "/process/test", history(t, "ai", "bye")); code != 200 {
		t.Fatalf("process: %d %s", code, body)
	}
	if list := readRecent(t, e, "test"); len(list) != 21 || list[0].Text != "message 0" {
		t.Fatalf("recent: %d", len(list))
	}
	e.do("POST", "/cache/test", history(t, pairs...))
	e.do("POST", "/process/test", "")
	if list := readRecent(t, e, "test"); len(list) != 30 || list[29].Text != "message 19" {
		t.Fatalf("recent not capped at 30: %d", len(list))
	}
	if _, body := e.do("GET", "/memory/test/archive/original", ""); !strings.Contains(body, `"total":41`) {
		t.Fatalf("originals not archived: %s", body)
	}
}

// /new_dialog waits for a running settle and then sees its memo.
func TestNewDialogWaitsForSettle(t *testing.T) {
	e := newEnv(t, true, false)
	started := make(chan struct{}, 8)
	release := make(chan struct{})
	e.llm.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		if req.Model == "m-correction" {
			return llmtest.ChatReply{Text: `{"修正说明":"","修正后的对话":[]}`}
		}
		started <- struct{}{}
		<-release
		return llmtest.ChatReply{Text: `{"对话摘要": "SETTLED MEMO"}`}
	})
	var pairs []string
	for i := 0; i < 6; i++ {
		pairs = append(pairs, "user", "q"+itoa(i), "ai", "a"+itoa(i))
	}
	done := make(chan string)
	go func() {
		_, body := e.do("POST", "/renew/test", history(t, pairs...))
		done <- body
	}()
	<-started // the settle is inside its summary call
	dialog := make(chan string)
	go func() {
		_, text := e.do("GET", "/new_dialog/test", "")
		dialog <- text
	}()
	select {
	case text := <-dialog:
		t.Fatalf("new_dialog did not wait for the settle: %s", text)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-done
	if text := <-dialog; !strings.Contains(text, "SYSTEM_MESSAGE | 先前对话的备忘录: SETTLED MEMO") {
		t.Fatalf("new_dialog after settle:\n%s", text)
	}
}
