package llm_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

func fmtAny(v any) string { return fmt.Sprint(v) }

func TestCancelMidStream(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"a", "b", "c", "d"}, ChunkDelay: 5 * time.Second}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	resp, err := newClient(s, "m").Stream(ctx, userMsg("x"), func(d string) error {
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) || llm.ErrorCode(err) != "" {
		t.Fatalf("err %v", err)
	}
	if resp.Text != "a" || time.Since(start) > 3*time.Second {
		t.Fatalf("text %q after %v", resp.Text, time.Since(start))
	}
}

func TestFirstTokenTimeout(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Text: "late", FirstTokenDelay: 10 * time.Second}
	})
	c := newClient(s, "m", llm.WithTimeouts(llm.Timeouts{FirstToken: 150 * time.Millisecond, Complete: 150 * time.Millisecond}))
	start := time.Now()
	_, err := c.Stream(context.Background(), userMsg("x"), nil)
	if llm.ErrorCode(err) != llm.CodeResponseTimeout || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	_, err = c.Complete(context.Background(), userMsg("x"))
	if llm.ErrorCode(err) != llm.CodeResponseTimeout {
		t.Fatalf("complete err %v", err)
	}
}

func TestIdleTimeoutBetweenTokens(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"one ", "two"}, ChunkDelay: 10 * time.Second}
	})
	c := newClient(s, "m", llm.WithTimeouts(llm.Timeouts{Idle: 400 * time.Millisecond}))
	resp, err := c.Stream(context.Background(), userMsg("x"), nil)
	if llm.ErrorCode(err) != llm.CodeResponseTimeout || resp.Text != "one " {
		t.Fatalf("err %v text %q", err, resp.Text)
	}
}

func TestSlowButSteadyStreamIsNotIdle(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"a", "b", "c", "d", "e"}, ChunkDelay: 60 * time.Millisecond}
	})
	c := newClient(s, "m", llm.WithTimeouts(llm.Timeouts{FirstToken: 2 * time.Second, Idle: 2 * time.Second}))
	resp, err := c.Stream(context.Background(), userMsg("x"), nil)
	if err != nil || resp.Text != "abcde" {
		t.Fatalf("err %v text %q", err, resp.Text)
	}
}

func TestStreamFailures(t *testing.T) {
	cases := []struct {
		name  string
		reply llmtest.ChatReply
		want  string
	}{
		{"drop", llmtest.ChatReply{Chunks: []string{"par", "tial"}, Drop: true}, llm.CodeConnectionClosed},
		{"malformed", llmtest.ChatReply{Chunks: []string{"par", "tial"}, Malformed: true}, llm.CodeResponseInvalid},
		{"error event", llmtest.ChatReply{Chunks: []string{"par", "tial"}, StreamError: "Model is overloaded, please retry"}, llm.CodeServerBusy},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := llmtest.New(t)
			s.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply { return tc.reply })
			resp, err := newClient(s, "m").Stream(context.Background(), userMsg("x"), nil)
			if llm.ErrorCode(err) != tc.want || resp.Text != "partial" {
				t.Fatalf("err %v text %q", err, resp.Text)
			}
			if len(s.Requests()) != 1 {
				t.Fatalf("a failure after the answer started must not be retried")
			}
		})
	}
	t.Run("complete malformed and drop", func(t *testing.T) {
		s := llmtest.New(t)
		s.ScriptChat(func(r llmtest.ChatRequest) llmtest.ChatReply {
			return llmtest.ChatReply{Text: "x", Malformed: r.LastUser() == "m", Drop: r.LastUser() == "d"}
		})
		if _, err := newClient(s, "m").Complete(context.Background(), userMsg("m")); llm.ErrorCode(err) != llm.CodeResponseInvalid {
			t.Fatalf("malformed: %v", err)
		}
		if _, err := newClient(s, "m").Complete(context.Background(), userMsg("d")); llm.ErrorCode(err) == "" {
			t.Fatalf("drop: %v", err)
		}
	})
}

func TestDeltaCallbackErrorStopsStream(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptChat(func(llmtest.ChatRequest) llmtest.ChatReply {
		return llmtest.ChatReply{Chunks: []string{"a", "b", "c"}}
	})
	stop := errors.New("enough")
	n := 0
	_, err := newClient(s, "m").Stream(context.Background(), userMsg("x"), func(string) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("err %v n %d", err, n)
	}
}

func TestEmptyRequestIsRejected(t *testing.T) {
	s := llmtest.New(t)
	if _, err := newClient(s, "m").Complete(context.Background(), llm.ChatRequest{}); err == nil {
		t.Fatal("want error")
	}
	if len(s.Requests()) != 0 {
		t.Fatal("nothing should be sent")
	}
}
