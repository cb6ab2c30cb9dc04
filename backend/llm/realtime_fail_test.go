package llm_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

func TestRealtimeFatalErrors(t *testing.T) {
	cases := []struct {
		name  string
		reply llmtest.RealtimeReply
		want  string
	}{
		{"arrears event", llmtest.RealtimeReply{Error: "Arrearage: Access denied, account is in arrears"}, llm.CodeArrears},
		{"rate limit event", llmtest.RealtimeReply{Error: "429 Too Many Requests"}, llm.CodeRateLimit},
		{"policy event", llmtest.RealtimeReply{Error: "Input data may contain inappropriate content (data_inspection_failed)"}, llm.CodePolicyViolation},
		{"close 1011", llmtest.RealtimeReply{Close: 1011, CloseText: "Internal server error"}, llm.Code1011},
		{"close 1007", llmtest.RealtimeReply{Close: 1007, CloseText: "invalid payload"}, llm.Code1007Arrears},
		{"drop", llmtest.RealtimeReply{Drop: true}, llm.CodeConnectionClosed},
	}
	for _, model := range []string{"qwen3-omni", "gpt-realtime", "glm-realtime", "step-audio-2"} {
		for _, tc := range cases {
			t.Run(model+"/"+tc.name, func(t *testing.T) {
				fatalCase(t, model, tc.reply, tc.want)
			})
		}
	}
}

func fatalCase(t *testing.T, model string, reply llmtest.RealtimeReply, want string) {
	s := llmtest.New(t)
	s.ScriptRealtime(func(llmtest.RealtimeRequest) llmtest.RealtimeReply { return reply })
	rt, _ := dialRT(t, s, "", model)
	_ = rt.CreateResponse(context.Background(), "x", false)
	evs := collect(t, rt, isKind(llm.EventError))
	last := evs[len(evs)-1]
	if last.Code != want || llm.ErrorCode(rt.Err()) != want {
		t.Fatalf("event %+v err %v", last, rt.Err())
	}
	if _, ok := <-rt.Events(); ok {
		t.Fatal("events must be closed after a fatal error")
	}
	if err := rt.SendAudio(context.Background(), llmtest.PCM16(320)); err == nil {
		t.Fatal("send after close must fail")
	}
}

func TestRealtimeNonFatalErrorsAndMalformed(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptRealtime(func(r llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Malformed: true, Chunks: []string{"still here"}}
	})
	rt, c := dialRT(t, s, "", "gpt-realtime")
	c.Error("invalid_value", "Conversation already has an active response")
	ev := collect(t, rt, isKind(llm.EventStatus))
	if ev[len(ev)-1].Code != llm.CodeUnknown {
		t.Fatalf("status %+v", ev[len(ev)-1])
	}
	_ = rt.CreateResponse(context.Background(), "x", false)
	evs := collect(t, rt, isKind(llm.EventResponseDone))
	if evs[0].Kind != llm.EventStatus || evs[0].Code != llm.CodeResponseInvalid {
		t.Fatalf("malformed frame must be reported: %s", kinds(evs))
	}
	if rt.Err() != nil {
		t.Fatal(rt.Err())
	}
}

func TestRealtimeOverloadedThrottlesAudio(t *testing.T) {
	s := llmtest.New(t)
	const throttle = time.Second
	rt, c := dialRT(t, s, "", "qwen3-omni", func(cfg *llm.RealtimeConfig) { cfg.ThrottleFor = throttle })
	c.Error("server_busy", "The model is overloaded (503)")
	evs := collect(t, rt, isKind(llm.EventStatus))
	start := time.Now()
	if evs[len(evs)-1].Code != llm.CodeServerBusy {
		t.Fatalf("status %+v", evs[len(evs)-1])
	}
	for i := 0; i < 5; i++ {
		_ = rt.SendAudio(context.Background(), llmtest.PCM16(320))
	}
	inWindow := time.Since(start) < throttle*8/10 // false only on a badly stalled machine
	_ = rt.ClearInput(context.Background())
	c.WaitType(wait, "input_audio_buffer.clear")
	if got := c.ReceivedAudio(); inWindow && got != 0 {
		t.Fatalf("server got %d audio bytes during the throttle", got)
	}
	time.Sleep(throttle - time.Since(start) + 50*time.Millisecond)
	before := c.ReceivedAudio()
	_ = rt.SendAudio(context.Background(), llmtest.PCM16(320))
	_ = rt.ClearInput(context.Background())
	deadline := time.Now().Add(wait)
	for c.ReceivedAudio() == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := c.ReceivedAudio() - before; got != 320 {
		t.Fatalf("after the throttle the server got %d bytes, want 320", got)
	}
}

func TestRealtimeHandshakeErrors(t *testing.T) {
	s := llmtest.New(t)
	s.SetAPIKey("right")
	_, err := llm.DialRealtime(context.Background(), llm.RealtimeConfig{URL: s.RealtimeURL(), APIKey: "wrong", Model: "qwen3-omni"})
	if llm.ErrorCode(err) != llm.CodeKeyRejected {
		t.Fatalf("err %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err = llm.DialRealtime(context.Background(), llm.RealtimeConfig{URL: "ws://" + addr + "/v1/realtime", Model: "qwen"})
	if llm.ErrorCode(err) != llm.CodeConnectionRefused {
		t.Fatalf("err %v", err)
	}
	s.SetAPIKey("")
	s.FailHandshakes(2, 429, "")
	_, err = llm.DialRealtime(context.Background(), llm.RealtimeConfig{URL: s.RealtimeURL(), Model: "qwen3-omni"})
	if llm.ErrorCode(err) != llm.CodeRateLimit {
		t.Fatalf("err %v", err)
	}
	_, err = llm.DialRealtime(context.Background(), llm.RealtimeConfig{URL: s.GeminiURL(), Model: "gemini-live"})
	if llm.ErrorCode(err) != llm.CodeRateLimit {
		t.Fatalf("gemini err %v", err)
	}
	rt, err := llm.DialRealtime(context.Background(), llm.RealtimeConfig{URL: s.RealtimeURL(), Model: "qwen3-omni"})
	if err != nil {
		t.Fatalf("third handshake must succeed: %v", err)
	}
	rt.Close()
	_, err = llm.DialRealtime(context.Background(), llm.RealtimeConfig{URL: "http://x", Model: "qwen"})
	if err == nil {
		t.Fatal("http URL must be refused")
	}
}

func TestRealtimeReconnectAfterDrop(t *testing.T) {
	s := llmtest.New(t)
	rt, c := dialRT(t, s, "", "step-audio-2")
	c.Drop()
	evs := collect(t, rt, isKind(llm.EventError))
	if evs[len(evs)-1].Code != llm.CodeConnectionClosed {
		t.Fatalf("events %s", kinds(evs))
	}
	rt2, c2 := dialRT(t, s, "", "step-audio-2")
	if c2.WaitType(wait, "session.update") == nil {
		t.Fatal("new session must be configured")
	}
	_ = rt2.CreateResponse(context.Background(), "again", false)
	got := ""
	for _, e := range collect(t, rt2, isKind(llm.EventResponseDone)) {
		if e.Kind == llm.EventText {
			got += e.Text
		}
	}
	if got != "again" {
		t.Fatalf("text %q", got)
	}
}

func TestRealtimeCloseIsClean(t *testing.T) {
	s := llmtest.New(t)
	rt, c := dialRT(t, s, "", "qwen3-omni")
	if err := rt.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-rt.Events(); ok {
		t.Fatal("events must close")
	}
	if rt.Err() != nil {
		t.Fatalf("Close must not be an error: %v", rt.Err())
	}
	select {
	case <-c.Done():
	case <-time.After(wait):
		t.Fatal("server side still open")
	}
	err := rt.SendAudio(context.Background(), llmtest.PCM16(2))
	if err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

// stallingServer accepts a realtime connection and never reads from it.
func stallingServer(t *testing.T) string {
	t.Helper()
	up := websocket.Upgrader{}
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		<-release
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/v1/realtime"
}

func TestRealtimeInFlightSendsAreBounded(t *testing.T) {
	rt, err := llm.DialRealtime(context.Background(), llm.RealtimeConfig{URL: stallingServer(t), Model: "qwen3-omni", MaxInFlight: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	chunk := llmtest.PCM16(256 << 10)
	sent := 0
	for ; sent < 500; sent++ {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		err = rt.SendAudio(ctx, chunk)
		cancel()
		if err != nil {
			break
		}
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("after %d sends: err %v; a stalled peer must make sends wait and honour the context", sent, err)
	}
	if sent >= 500 {
		t.Fatal("sends never blocked")
	}
	// Close must not hang on the stalled writer.
	done := make(chan struct{})
	go func() { _ = rt.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("Close hung")
	}
}

func TestFamilyTraits(t *testing.T) {
	if tr := llm.FamilyTraits(llm.FamilyQwen); !tr.ServerVAD || !tr.WarmUp || tr.SilenceAutoClose || tr.InputRate != 16000 || tr.OutputRate != 24000 {
		t.Fatalf("qwen %+v", tr)
	}
	if tr := llm.FamilyTraits(llm.FamilyGemini); tr.ServerVAD || tr.WarmUp {
		t.Fatalf("gemini %+v", tr)
	}
	if !llm.FamilyTraits(llm.FamilyGLM).SilenceAutoClose || !llm.FamilyTraits(llm.FamilyFree).SilenceAutoClose {
		t.Fatal("glm and free auto-close on silence")
	}
}
