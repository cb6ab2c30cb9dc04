package llmtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"neko/backend/llm/llmtest"
)

// The SSE stream must be byte-exact OpenAI: "data: <json>\n\n" events, a
// role chunk, content chunks, a finish chunk, a usage chunk and [DONE].
func TestChatSSEWireFormat(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply { return llmtest.ChatReply{Chunks: []string{"a", "b"}} })
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`
	resp, err := http.Post(s.BaseURL()+"/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, "data: ") {
			t.Fatalf("bad line %q", line)
		}
		events = append(events, strings.TrimPrefix(line, "data: "))
	}
	if len(events) != 6 || events[5] != "[DONE]" {
		t.Fatalf("events %q", events)
	}
	var first, usage struct {
		Object  string
		Choices []struct {
			Delta        map[string]any
			FinishReason *string `json:"finish_reason"`
		}
		Usage *struct {
			TotalTokens int `json:"total_tokens"`
		}
	}
	_ = json.Unmarshal([]byte(events[0]), &first)
	_ = json.Unmarshal([]byte(events[4]), &usage)
	if first.Object != "chat.completion.chunk" || first.Choices[0].Delta["role"] != "assistant" || first.Choices[0].FinishReason != nil {
		t.Fatalf("first %s", events[0])
	}
	if usage.Usage == nil || usage.Usage.TotalTokens == 0 || len(usage.Choices) != 0 {
		t.Fatalf("usage %s", events[4])
	}
}

func TestBadRequestsGetOpenAIErrors(t *testing.T) {
	s := llmtest.New(t)
	for path, body := range map[string]string{
		"/chat/completions": `{"model":`,
		"/embeddings":       `{"model":"e","input":[]}`,
	} {
		resp, err := http.Post(s.BaseURL()+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error struct{ Message, Type string }
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != 400 || e.Error.Message == "" {
			t.Fatalf("%s: %d %+v", path, resp.StatusCode, e)
		}
	}
}

func TestEmbedIsDeterministicAndNormalised(t *testing.T) {
	a, b := llmtest.Embed("Hello, world", 32), llmtest.Embed("hello world", 32)
	var n float64
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("case and punctuation must not matter")
		}
		n += float64(a[i] * a[i])
	}
	if n < 0.999 || n > 1.001 {
		t.Fatalf("norm² %v", n)
	}
	for _, f := range llmtest.Embed("", 8) {
		if f != 0 {
			t.Fatal("empty text must be the zero vector")
		}
	}
}

func TestListenAndServeStopsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- llmtest.ListenAndServe(ctx, addr) }()
	var resp *http.Response
	for i := 0; i < 100; i++ {
		if resp, err = http.Get("http://" + addr + "/v1/models"); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(data), `"object":"list"`) {
		t.Fatalf("models %s", data)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("did not stop")
	}
	if err := llmtest.ListenAndServe(context.Background(), "256.0.0.1:1"); err == nil {
		t.Fatal("bad address must fail")
	}
}
