package llm_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

func newClient(s *llmtest.Server, model string, opts ...llm.ChatOption) *llm.ChatClient {
	opts = append([]llm.ChatOption{llm.WithRetries(0, 0)}, opts...)
	return llm.NewChatClient(llm.Endpoint{BaseURL: s.BaseURL(), APIKey: "sk-test", Model: model}, opts...)
}

func userMsg(text string) llm.ChatRequest {
	return llm.ChatRequest{Messages: []llm.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: text}}}
}

func TestStreamDeliversDeltasInOrderWithUsage(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptChat(func(req llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"Hel", "lo, ", "wor", "ld"}}
	})
	var got []string
	resp, err := newClient(s, "test-model").Stream(context.Background(), userMsg("hi"), func(d string) error {
		got = append(got, d)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "Hel|lo, |wor|ld" || resp.Text != "Hello, world" {
		t.Fatalf("deltas %q text %q", got, resp.Text)
	}
	if resp.FinishReason != "stop" || resp.Usage.CompletionTokens != 4 || resp.Usage.TotalTokens == 0 {
		t.Fatalf("resp %+v", resp)
	}
	reqs := s.Requests()
	if len(reqs) != 1 || !reqs[0].Stream || !reqs[0].IncludeUsage || reqs[0].APIKey != "sk-test" || reqs[0].Model != "test-model" {
		t.Fatalf("requests %+v", reqs)
	}
	if len(reqs[0].Messages) != 2 || reqs[0].Messages[0].Role != "system" || reqs[0].LastUser() != "hi" {
		t.Fatalf("messages %+v", reqs[0].Messages)
	}
}

func TestCompleteEchoesAndSendsOptions(t *testing.T) {
	s := llmtest.New(t)
	temp := 0.3
	req := userMsg("say something")
	req.Temperature, req.MaxTokens, req.JSONMode = &temp, 77, true
	resp, err := newClient(s, "test-model").Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text != "say something" || resp.FinishReason != "stop" || resp.Usage.PromptTokens == 0 {
		t.Fatalf("resp %+v", resp)
	}
	r := s.Requests()[0]
	if r.Stream || r.Temperature == nil || *r.Temperature != 0.3 || r.MaxTokens != 77 || !r.JSONMode {
		t.Fatalf("request %+v", r)
	}
	if _, ok := r.Body["max_tokens"]; !ok {
		t.Fatalf("max_tokens missing: %v", r.Body)
	}
}

func TestMaxCompletionTokensForGPT5(t *testing.T) {
	s := llmtest.New(t)
	req := userMsg("x")
	req.MaxTokens = 5
	if _, err := newClient(s, "gpt-5-chat-latest").Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	b := s.Requests()[0].Body
	if _, ok := b["max_tokens"]; ok || b["max_completion_tokens"] != float64(5) {
		t.Fatalf("body %v", b)
	}
}

func TestVisionImagesAreImageURLParts(t *testing.T) {
	s := llmtest.New(t)
	img := "data:image/png;base64,iVBORw0KGgo="
	req := llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: "what is this?", Images: []string{img, "https://example.com/a.jpg"}}}}
	if _, err := newClient(s, "qwen3.5-plus").Stream(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	m := s.Requests()[0].Messages[0]
	if m.Content != "what is this?" || len(m.Images) != 2 || m.Images[0] != img || m.Images[1] != "https://example.com/a.jpg" {
		t.Fatalf("message %+v", m)
	}
}

func TestModelExtras(t *testing.T) {
	cases := []struct {
		model, key string
		want       string
	}{
		{"qwen3.5-plus", "enable_thinking", "false"},
		{"glm-4.7-flash", "thinking", "map[type:disabled]"},
		{"gemini-2.5-flash", "extra_body", "map[google:map[thinking_config:map[thinking_budget:0]]]"},
		{"gemini-3-flash-preview", "extra_body", "map[google:map[thinking_config:map[thinking_level:low]]]"},
		{"step-2-mini", "tools", "web_search"},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			s := llmtest.New(t)
			if _, err := newClient(s, tc.model).Complete(context.Background(), userMsg("x")); err != nil {
				t.Fatal(err)
			}
			got := s.Requests()[0].Body[tc.key]
			if got == nil || !strings.Contains(fmtAny(got), tc.want) {
				t.Fatalf("%s = %v, want %s", tc.key, got, tc.want)
			}
		})
	}
	t.Run("unknown model and overrides", func(t *testing.T) {
		s := llmtest.New(t)
		req := userMsg("x")
		req.Extra = map[string]any{"enable_thinking": nil, "seed": 7}
		if _, err := newClient(s, "qwen-plus").Complete(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		if _, err := newClient(s, "mistral-small").Complete(context.Background(), userMsg("y")); err != nil {
			t.Fatal(err)
		}
		r := s.Requests()
		if _, ok := r[0].Body["enable_thinking"]; ok || r[0].Body["seed"] != float64(7) {
			t.Fatalf("override body %v", r[0].Body)
		}
		for _, k := range []string{"enable_thinking", "thinking", "extra_body", "tools"} {
			if _, ok := r[1].Body[k]; ok {
				t.Fatalf("unknown model got %s", k)
			}
		}
	})
}

func TestErrorClasses(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"401", 401, "", llm.CodeKeyRejected},
		{"403", 403, `{"error":{"message":"forbidden"}}`, llm.CodeKeyRejected},
		{"429", 429, "", llm.CodeRateLimit},
		{"429 quota", 429, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`, llm.CodeArrears},
		{"arrears 400", 400, `{"code":"Arrearage","message":"Access denied, please make sure your account is in good standing."}`, llm.CodeArrears},
		{"free quota", 400, `{"error":{"message":"free tier quota exhausted for today"}}`, llm.CodeQuotaTime},
		{"policy", 400, `{"error":{"code":"data_inspection_failed","message":"Input data may contain inappropriate content."}}`, llm.CodePolicyViolation},
		{"403 arrears", 403, `{"code":"Arrearage","message":"Access denied, please make sure your account is in good standing."}`, llm.CodeArrears},
		{"model missing", 404, "", llm.CodeModelNotFound},
		{"500", 500, "", llm.CodeServerError},
		{"503 overloaded", 503, `{"error":{"message":"The engine is currently overloaded"}}`, llm.CodeServerBusy},
		{"plain text 502", 502, "Bad Gateway", llm.CodeServerError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := llmtest.New(t)
			s.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
				return llmtest.ChatReply{Status: tc.status, Body: tc.body}
			})
			c := newClient(s, "m")
			_, err1 := c.Complete(context.Background(), userMsg("x"))
			_, err2 := c.Stream(context.Background(), userMsg("x"), nil)
			for _, err := range []error{err1, err2} {
				var le *llm.Error
				if !errors.As(err, &le) || le.Code != tc.want || le.Status != tc.status {
					t.Fatalf("err = %v, want code %s status %d", err, tc.want, tc.status)
				}
			}
			if len(s.Requests()) != 2 {
				t.Fatalf("HTTP errors must not be retried: %d requests", len(s.Requests()))
			}
		})
	}
}

func TestWrongKeyIsRejected(t *testing.T) {
	s := llmtest.New(t)
	s.SetAPIKey("sk-right")
	_, err := newClient(s, "m").Complete(context.Background(), userMsg("x"))
	if llm.ErrorCode(err) != llm.CodeKeyRejected {
		t.Fatalf("err %v", err)
	}
}

func TestConnectionRefusedIsRetriedThenClassified(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c := llm.NewChatClient(llm.Endpoint{BaseURL: "http://" + addr + "/v1", Model: "m"}, llm.WithRetries(2, time.Millisecond))
	_, err = c.Stream(context.Background(), userMsg("x"), nil)
	var le *llm.Error
	if !errors.As(err, &le) || le.Code != llm.CodeConnectionRefused {
		t.Fatalf("err %v", err)
	}
}

// flakyListener closes the first n accepted connections at once.
type flakyListener struct {
	net.Listener
	n atomic.Int32
}

func (l *flakyListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.n.Add(-1) < 0 {
			return c, err
		}
		c.Close()
	}
}

func TestTransportErrorIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fl := &flakyListener{Listener: ln}
	fl.n.Store(1)
	var hits atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"))
	})}
	go func() { _ = srv.Serve(fl) }()
	t.Cleanup(func() { srv.Close() })
	c := llm.NewChatClient(llm.Endpoint{BaseURL: "http://" + ln.Addr().String() + "/v1", Model: "m"}, llm.WithRetries(2, time.Millisecond))
	resp, err := c.Stream(context.Background(), userMsg("x"), nil)
	if err != nil || resp.Text != "ok" || hits.Load() != 1 {
		t.Fatalf("resp %+v err %v hits %d", resp, err, hits.Load())
	}
}

func TestNonStreamingAnswerToStreamRequest(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"choices":[{"message":{"role":"assistant","content":"whole"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}`))
	})}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	var deltas []string
	resp, err := llm.NewChatClient(llm.Endpoint{BaseURL: "http://" + ln.Addr().String() + "/v1", Model: "m"}).
		Stream(context.Background(), userMsg("x"), func(d string) error { deltas = append(deltas, d); return nil })
	if err != nil || resp.Text != "whole" || len(deltas) != 1 || resp.Usage.TotalTokens != 4 {
		t.Fatalf("resp %+v err %v deltas %v", resp, err, deltas)
	}
}
