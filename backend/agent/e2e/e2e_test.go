package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/agent/internal/mcptest"
	"neko/backend/config"
	"neko/backend/llm/llmtest"
	"neko/backend/services"
	"neko/backend/tts/ttstest"
)

// agentCall sends one request to the agent server with the instance token.
func agentCall(t *testing.T, s *services.Services, method, path string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, fmt.Sprintf("http://127.0.0.1:%d%s", s.Ports.Agent, path), bytes.NewReader(b))
	req.Header.Set("X-Neko-Instance", s.InstanceToken())
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(rb, &out); err != nil || res.StatusCode != 200 || out["success"] == false {
		t.Fatalf("%s %s = %d %s", method, path, res.StatusCode, rb)
	}
	return out
}

func anyContains(req llmtest.ChatRequest, s string) bool {
	for _, m := range req.Messages {
		if strings.Contains(m.Content, s) {
			return true
		}
	}
	return false
}

func TestTextTurnToMCPToolToHerReply(t *testing.T) {
	entry := mcptest.Everything(t)
	prov := llmtest.New(t)
	prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		sys := ""
		if len(req.Messages) > 0 {
			sys = req.Messages[0].Content
		}
		switch {
		case strings.Contains(sys, "task analyzer"):
			if anyContains(req, "echo") {
				return llmtest.ChatReply{Text: `{"tasks":["echo the word purr"],"reason":"asked"}`}
			}
			return llmtest.ChatReply{Text: `{"tasks":[]}`}
		case strings.Contains(sys, "planner"):
			return llmtest.ChatReply{Text: `{"method":"mcp","calls":[{"server":"everything","tool":"echo","arguments":{"message":"purr"}}]}`}
		case strings.Contains(sys, "Summarise"):
			return llmtest.ChatReply{Text: `{"summary":"The echo tool answered: Echo: purr"}`}
		case anyContains(req, "Echo: purr"):
			return llmtest.ChatReply{Chunks: []string{"Done! ", "The tool said ", "Echo: purr."}}
		}
		return llmtest.ChatReply{Chunks: []string{"Okay, ", "on it."}}
	})
	speech := ttstest.NewOpenAI(ttstest.Script{})
	defer speech.Close()
	data := t.TempDir()
	store, err := config.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	core := map[string]any{"coreApi": "openai", "coreApiKey": "sk-test", "enableCustomApi": true,
		"ttsModelUrl": speech.URL + "/v1", "ttsModelId": "tts-1", "ttsVoiceId": "alloy"}
	for _, role := range []string{"conversation", "summary", "agent"} {
		core[role+"ModelUrl"], core[role+"ModelId"], core[role+"ModelApiKey"] = prov.BaseURL(), "test-model", "k"
	}
	if _, err := store.UpdateCore(core); err != nil {
		t.Fatal(err)
	}
	s, err := services.Start(context.Background(), services.Options{DataRoot: data, Ports: services.Ports{}, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())

	agentCall(t, s, "PUT", "/mcp/servers/everything", map[string]any{"command": mcptest.Node(t), "args": []string{entry, "stdio"}})
	agentCall(t, s, "POST", "/agent/command", map[string]any{"command": "set_agent_enabled", "enabled": true})
	agentCall(t, s, "POST", "/agent/flags", map[string]any{"mcp_enabled": true})
	for deadline := time.Now().Add(30 * time.Second); !s.AgentConnected(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("agent bridge never connected")
		}
	}

	url := fmt.Sprintf("ws://127.0.0.1:%d/ws/test?token=%s", s.Ports.Main, s.Token())
	ws, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Origin": {fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Main)}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"action": "stream_data", "input_type": "text", "data": "please echo purr with your tool"}); err != nil {
		t.Fatal(err)
	}
	var replies []string
	var cur strings.Builder
	var sawUpdate, sawNote bool
	deadline := time.Now().Add(60 * time.Second)
	for {
		_ = ws.SetReadDeadline(deadline)
		typ, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v; replies %q, task update %v, notification %v", err, replies, sawUpdate, sawNote)
		}
		if typ != websocket.TextMessage {
			continue
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		switch m["type"] {
		case "gemini_response":
			s, _ := m["text"].(string)
			cur.WriteString(s)
		case "agent_task_update":
			sawUpdate = true
		case "agent_notification":
			sawNote = sawNote || strings.Contains(fmt.Sprint(m["text"]), "Echo: purr")
		case "system":
			if m["data"] == "turn end" && cur.Len() > 0 {
				replies = append(replies, cur.String())
				cur.Reset()
			}
		}
		if n := len(replies); n > 0 && strings.Contains(replies[n-1], "Echo: purr") {
			break
		}
	}
	if replies[0] != "Okay, on it." || !sawUpdate || !sawNote {
		t.Fatalf("replies %q, task update %v, notification %v", replies, sawUpdate, sawNote)
	}
}
