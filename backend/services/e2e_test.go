package services_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/config"
	"neko/backend/llm/llmtest"
	"neko/backend/services"
	"neko/backend/tts/ttstest"
)

// A text turn through the whole app: a real WebSocket client on the main
// server, the test provider for the chat model and an OpenAI-compatible TTS
// server, and the real memory server receiving the turn.
func TestTextTurnThroughAllServers(t *testing.T) {
	prov := llmtest.New(t)
	prov.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"记住了，", "你喜欢", "乌龙茶。"}}
	})
	speech := ttstest.NewOpenAI(ttstest.Script{})
	defer speech.Close()
	data := t.TempDir()
	store, err := config.Open(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateCore(map[string]any{"coreApi": "openai", "coreApiKey": "sk-test", "enableCustomApi": true,
		"conversationModelUrl": prov.BaseURL(), "conversationModelId": "test-model", "conversationModelApiKey": "k",
		"ttsModelUrl": speech.URL + "/v1", "ttsModelId": "tts-1", "ttsVoiceId": "alloy"}); err != nil {
		t.Fatal(err)
	}
	s, _, _ := startAll(t, services.Options{Ports: zeroPorts(), DataRoot: data})
	defer s.Shutdown(context.Background())

	url := fmt.Sprintf("ws://127.0.0.1:%d/ws/test?token=%s", s.Ports.Main, s.Token())
	hdr := http.Header{"Origin": {fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Main)}}
	ws, _, err := websocket.DefaultDialer.Dial(url, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	// A socket without the token is refused.
	if _, resp, err := websocket.DefaultDialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/ws/test", s.Ports.Main), hdr); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Fatalf("upgrade without token: %v %v", err, resp)
	}
	_ = ws.WriteJSON(map[string]any{"action": "stream_data", "input_type": "text", "data": "我喜欢乌龙茶"})
	var text strings.Builder
	audio := 0
	deadline := time.Now().Add(15 * time.Second)
	for {
		_ = ws.SetReadDeadline(deadline)
		typ, b, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v (text so far %q)", err, text.String())
		}
		if typ == websocket.BinaryMessage {
			audio++
			continue
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		if m["type"] == "gemini_response" {
			text.WriteString(m["text"].(string))
		}
		if m["type"] == "system" && m["data"] == "turn end" {
			break
		}
	}
	if text.String() != "记住了，你喜欢乌龙茶。" {
		t.Fatalf("reply %q", text.String())
	}
	// The memory server has the turn.
	mem := fmt.Sprintf("http://127.0.0.1:%d/new_dialog/test", s.Ports.Memory)
	var dialog string
	for i := 0; i < 100; i++ {
		req, _ := http.NewRequest("GET", mem, nil)
		req.Header.Set("X-Neko-Instance", s.InstanceToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		dialog = string(b)
		if strings.Contains(dialog, "我喜欢乌龙茶") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(dialog, "我喜欢乌龙茶") || !strings.Contains(dialog, "乌龙茶。") {
		t.Fatalf("memory did not receive the turn:\n%s", dialog)
	}
	// TTS audio reached the socket (audio_chunk + binary pairs).
	for audio == 0 && time.Now().Before(deadline) {
		_ = ws.SetReadDeadline(deadline)
		typ, _, err := ws.ReadMessage()
		if err != nil {
			break
		}
		if typ == websocket.BinaryMessage {
			audio++
		}
	}
	if audio == 0 {
		t.Fatal("no speech audio reached the page")
	}
}
