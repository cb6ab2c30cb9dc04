package main

import (
	"encoding/json"
	"strings"
	"testing"

	"neko/backend/llm/llmtest"
)

func req(system, user string) llmtest.ChatRequest {
	return llmtest.ChatRequest{Messages: []llmtest.ChatMessage{{Role: "system", Content: system}, {Role: "user", Content: user}}}
}

func TestScriptTasksEachEchoOnce(t *testing.T) {
	p := &Provider{tasked: map[string]bool{}}
	ask := "LATEST_USER_REQUEST: please echo plum with your tool [ta-7]\n\nuser: please echo plum with your tool [ta-7]\n"
	if r := p.answer(req("You are the task analyzer of a desktop companion app.", ask)); !strings.Contains(r.Text, `"echo the word plum"`) {
		t.Fatalf("first analysis %q", r.Text)
	}
	// The same request seen again (a later turn's window) is not a new task.
	if r := p.answer(req("You are the task analyzer of a desktop companion app.", ask)); r.Text != `{"tasks":[],"reason":"small talk"}` {
		t.Fatalf("repeat analysis %q", r.Text)
	}
	if p.Tasks.Load() != 1 || p.Analyses.Load() != 2 {
		t.Fatalf("tasks %d analyses %d", p.Tasks.Load(), p.Analyses.Load())
	}
}

func TestScriptRepliesCarryTheTurnID(t *testing.T) {
	p := &Provider{tasked: map[string]bool{}}
	seen := map[string]bool{}
	for range 4 {
		r := p.answer(req("You are soakA.", "陪我聊聊天吧。 [tb-12]"))
		text := strings.Join(r.Chunks, "")
		if !strings.Contains(text, "(tb-12)") || strings.Contains(text, "|") {
			t.Fatalf("reply %q", text)
		}
		seen[text] = true
	}
	if len(seen) != 4 {
		t.Fatalf("replies repeat: %v", seen)
	}
}

func TestScriptReviewKeepsTheTranscript(t *testing.T) {
	prompt := "校对…\n======对话记录======\nSYSTEM_MESSAGE: 备忘\n主人: 你好 fact abcdefgh\n第二行\nsoakA: 喵\n"
	var out struct {
		Dialog []struct{ Role, Content string } `json:"修正后的对话"`
	}
	if err := json.Unmarshal([]byte(reviewUnchanged(prompt)), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Dialog) != 3 || out.Dialog[1].Role != "主人" || out.Dialog[1].Content != "你好 fact abcdefgh\n第二行" {
		t.Fatalf("review %+v", out.Dialog)
	}
}
