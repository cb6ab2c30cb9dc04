package llm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

func dialGemini(t *testing.T, s *llmtest.Server, mut ...func(*llm.RealtimeConfig)) (llm.Realtime, *llmtest.RealtimeConn) {
	t.Helper()
	cfg := llm.RealtimeConfig{URL: s.GeminiURL(), APIKey: "g-key", Model: "gemini-2.5-flash-native-audio-preview-12-2025",
		Instructions: "You are Neko."}
	for _, m := range mut {
		m(&cfg)
	}
	rt, err := llm.DialRealtime(context.Background(), cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	return rt, <-s.RealtimeConns()
}

func TestGeminiSetupTurnAndTranscripts(t *testing.T) {
	s := llmtest.New(t)
	s.SetAPIKey("g-key")
	s.ScriptRealtime(func(r llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Chunks: []string{"Hello ", "human"}, Audio: [][]byte{llmtest.PCM16(960), llmtest.PCM16(480)}}
	})
	rt, c := dialGemini(t, s)
	setup := c.Received()[0]["setup"].(map[string]any)
	gen := setup["generationConfig"].(map[string]any)
	voice := gen["speechConfig"].(map[string]any)["voiceConfig"].(map[string]any)["prebuiltVoiceConfig"].(map[string]any)
	if setup["model"] != "models/gemini-2.5-flash-native-audio-preview-12-2025" || voice["voiceName"] != "Leda" ||
		gen["responseModalities"].([]any)[0] != "AUDIO" || gen["temperature"] != 1.1 || setup["outputAudioTranscription"] == nil ||
		setup["systemInstruction"].(map[string]any)["parts"].([]any)[0].(map[string]any)["text"] != "You are Neko." {
		t.Fatalf("setup %v", setup)
	}
	if !strings.HasSuffix(c.Path, "BidiGenerateContent") {
		t.Fatalf("path %s", c.Path)
	}
	if err := rt.SendAudio(context.Background(), llmtest.PCM16(640)); err != nil {
		t.Fatal(err)
	}
	if err := rt.SendImage(context.Background(), []byte{0xff, 0xd8}); err != nil {
		t.Fatal(err)
	}
	c.WaitFor(wait, func(ev map[string]any) bool {
		in, _ := ev["realtimeInput"].(map[string]any)
		v, _ := in["video"].(map[string]any)
		return v != nil && v["mimeType"] == "image/jpeg"
	})
	c.GeminiInputTranscript("how are")
	c.GeminiInputTranscript(" you")
	if err := rt.CreateResponse(context.Background(), "hi", false); err != nil {
		t.Fatal(err)
	}
	evs := collect(t, rt, isKind(llm.EventResponseDone))
	var text, input string
	audio := 0
	for _, e := range evs {
		switch e.Kind {
		case llm.EventText:
			text += e.Text
		case llm.EventAudio:
			audio += len(e.Audio)
		case llm.EventInputTranscript:
			input = e.Text
		}
	}
	if text != "Hello human" || audio != 1440 || input != "how are you" || evs[0].Kind != llm.EventInputTranscript {
		t.Fatalf("text %q audio %d input %q events %s", text, audio, input, kinds(evs))
	}
	if c.ReceivedAudio() != 640 {
		t.Fatalf("server audio %d", c.ReceivedAudio())
	}
}

func TestGeminiInterruptionAndWarmup(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptRealtime(func(r llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Chunks: []string{"a", "b", "c", "d"}, Delay: 200 * time.Millisecond}
	})
	rt, c := dialGemini(t, s)
	if err := rt.Warmup(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = rt.CreateResponse(context.Background(), "x", false)
	collect(t, rt, isKind(llm.EventText))
	c.GeminiInterrupted()
	evs := collect(t, rt, isKind(llm.EventResponseDone))
	if len(evs) > 3 || evs[len(evs)-2].Kind != llm.EventSpeechStarted {
		t.Fatalf("events %s", kinds(evs))
	}
	// After the interruption nothing of that turn arrives; the next turn does.
	s.ScriptRealtime(nil)
	_ = rt.CreateResponse(context.Background(), "next", false)
	evs = collect(t, rt, isKind(llm.EventResponseDone))
	text := ""
	for _, e := range evs {
		if e.Kind == llm.EventText {
			text += e.Text
		}
	}
	if text != "next" {
		t.Fatalf("text %q events %s", text, kinds(evs))
	}
}

func TestGeminiErrors(t *testing.T) {
	s := llmtest.New(t)
	s.SetAPIKey("right")
	_, err := llm.DialRealtime(context.Background(), llm.RealtimeConfig{Family: llm.FamilyGemini, URL: s.GeminiURL(), APIKey: "bad", Model: "gemini-live"})
	if llm.ErrorCode(err) != llm.CodeKeyRejected {
		t.Fatalf("err %v", err)
	}
	s.SetAPIKey("")
	cases := map[string]llmtest.RealtimeReply{
		llm.CodeQuotaTime:        {Close: 1011, CloseText: "You exceeded your current quota"},
		llm.Code1011:             {Close: 1011, CloseText: "Internal error occurred."},
		llm.CodePolicyViolation:  {Close: 1008, CloseText: "Request blocked by safety policy"},
		llm.CodeConnectionClosed: {Drop: true},
	}
	for want, reply := range cases {
		s.ScriptRealtime(func(llmtest.RealtimeRequest) llmtest.RealtimeReply { return reply })
		rt, _ := dialGemini(t, s)
		_ = rt.CreateResponse(context.Background(), "x", false)
		evs := collect(t, rt, isKind(llm.EventError))
		if got := evs[len(evs)-1].Code; got != want {
			t.Fatalf("want %s got %s (%v)", want, got, evs[len(evs)-1].Err)
		}
	}
}
