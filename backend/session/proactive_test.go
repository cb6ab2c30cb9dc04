package session_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"neko/backend/llm/llmtest"
)

func postJSON(t *testing.T, h http.Handler, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/", bytes.NewReader(b)))
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

func TestEmotionAnalysis(t *testing.T) {
	r := newRig(t)
	r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		switch {
		case strings.Contains(req.LastUser(), "开心"):
			return llmtest.ChatReply{Text: "```json\n{\"emotion\": \"happy\", \"confidence\": 0.9}\n```"}
		case strings.Contains(req.LastUser(), "嗯"):
			return llmtest.ChatReply{Text: `{"emotion": "sad", "confidence": 0.1}`}
		}
		return llmtest.ChatReply{Text: "not json"}
	})
	h := r.hub.EmotionHandler()
	if code, out := postJSON(t, h, map[string]any{"text": "好开心！"}); code != 200 || out["emotion"] != "happy" {
		t.Fatalf("happy: %d %v", code, out)
	}
	if _, out := postJSON(t, h, map[string]any{"text": "嗯"}); out["emotion"] != "neutral" {
		t.Fatalf("low confidence not neutral: %v", out)
	}
	if _, out := postJSON(t, h, map[string]any{"text": "x"}); out["emotion"] != "neutral" || out["error"] == nil {
		t.Fatalf("bad answer: %v", out)
	}
	if code, _ := postJSON(t, h, map[string]any{"text": ""}); code != 400 {
		t.Fatalf("empty text: %d", code)
	}
}

const tinyJPEG = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgICAgMCAgIDAwMDBAYEBAQEBAgGBgUGCQgKCgkICQkKDA8MCgsOCwkJDRENDg8QEBEQCgwSExIQEw8QEBD/yQALCAABAAEBAREA/8wABgAQEAX/2gAIAQEAAD8A0s8g/9k="

func TestProactiveChatAndPass(t *testing.T) {
	r := newRig(t)
	pass := true
	r.prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		if pass {
			return llmtest.ChatReply{Text: "[PASS]"}
		}
		return llmtest.ChatReply{Text: "[SCREEN] 哥哥在写代码呀，要不要休息一下？"}
	})
	c := r.dial("小天")
	c.Send(map[string]any{"action": "ping"})
	c.Until(3*time.Second, typeIs("pong"))
	h := r.hub.ProactiveHandler()
	body := map[string]any{"lanlan_name": "小天", "enabled_modes": []string{"vision", "window"}, "screenshot_data": tinyJPEG, "window_title": "main.go - editor"}
	code, out := postJSON(t, h, body)
	if code != 200 || out["action"] != "pass" {
		t.Fatalf("pass: %d %v", code, out)
	}
	pass = false
	code, out = postJSON(t, h, body)
	if code != 200 || out["action"] != "chat" || !strings.Contains(out["message"].(string), "休息") || out["source_tag"] != "[SCREEN]" {
		t.Fatalf("chat: %d %v", code, out)
	}
	got := c.Until(10*time.Second, turnEnd)
	if !strings.Contains(describe(got), "要不要休息一下") {
		t.Fatalf("line not delivered: %s", describe(got))
	}
	// The vision model got the screenshot.
	reqs := r.prov.Requests()
	if last := reqs[len(reqs)-1]; len(last.Messages) < 2 || !strings.Contains(describe(nil)+last.Messages[1].Content, "screen") {
		t.Fatalf("no screen in the request: %+v", last.Messages)
	}
	if code, _ := postJSON(t, h, map[string]any{"lanlan_name": "nobody"}); code != 404 {
		t.Fatalf("unknown character: %d", code)
	}
}
