package llm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

const wait = 5 * time.Second

func dialRT(t *testing.T, s *llmtest.Server, family, model string, mut ...func(*llm.RealtimeConfig)) (llm.Realtime, *llmtest.RealtimeConn) {
	t.Helper()
	cfg := llm.RealtimeConfig{Family: family, URL: s.RealtimeURL(), APIKey: "sk-rt", Model: model, Instructions: "You are Neko."}
	for _, m := range mut {
		m(&cfg)
	}
	rt, err := llm.DialRealtime(context.Background(), cfg)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	select {
	case c := <-s.RealtimeConns():
		return rt, c
	case <-time.After(wait):
		t.Fatal("no connection")
	}
	return nil, nil
}

// collect reads events until stop returns true or the timeout passes.
func collect(t *testing.T, rt llm.Realtime, stop func(llm.RealtimeEvent) bool) []llm.RealtimeEvent {
	t.Helper()
	var out []llm.RealtimeEvent
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-rt.Events():
			if !ok {
				return out
			}
			out = append(out, ev)
			if stop(ev) {
				return out
			}
		case <-timer.C:
			t.Fatalf("timeout; got %v", kinds(out))
		}
	}
}

func kinds(evs []llm.RealtimeEvent) string {
	var b []string
	for _, e := range evs {
		b = append(b, e.Kind.String())
	}
	return strings.Join(b, ",")
}

func isKind(k llm.EventKind) func(llm.RealtimeEvent) bool {
	return func(e llm.RealtimeEvent) bool { return e.Kind == k }
}

func sessionOf(t *testing.T, c *llmtest.RealtimeConn) map[string]any {
	t.Helper()
	ev := c.WaitType(wait, "session.update")
	if ev == nil {
		t.Fatal("no session.update")
	}
	if id, _ := ev["event_id"].(string); !strings.HasPrefix(id, "event_") {
		t.Fatalf("event_id %q", id)
	}
	return ev["session"].(map[string]any)
}

func TestRealtimeSessionConfigPerFamily(t *testing.T) {
	s := llmtest.New(t)
	cases := []struct {
		family, model string
		check         func(t *testing.T, sess map[string]any, c *llmtest.RealtimeConn)
	}{
		{"", "qwen3-omni-flash-realtime-2025-12-01", func(t *testing.T, sess map[string]any, c *llmtest.RealtimeConn) {
			tr := sess["input_audio_transcription"].(map[string]any)
			td := sess["turn_detection"].(map[string]any)
			if sess["voice"] != "Momo" || tr["model"] != "gummy-realtime-v1" || td["silence_duration_ms"] != float64(500) ||
				sess["repetition_penalty"] != 1.2 || sess["smooth_output"] != false || sess["temperature"] != 0.7 {
				t.Fatalf("qwen session %v", sess)
			}
			if c.Model != "qwen3-omni-flash-realtime-2025-12-01" {
				t.Fatalf("model query %q", c.Model)
			}
		}},
		{"", "gpt-realtime-mini-2025-12-15", func(t *testing.T, sess map[string]any, c *llmtest.RealtimeConn) {
			a := sess["audio"].(map[string]any)
			in, out := a["input"].(map[string]any), a["output"].(map[string]any)
			if sess["type"] != "realtime" || in["turn_detection"].(map[string]any)["type"] != "semantic_vad" ||
				out["voice"] != "marin" || in["transcription"].(map[string]any)["model"] != "gpt-4o-mini-transcribe" ||
				!strings.Contains(sess["instructions"].(string), "You are Neko.") {
				t.Fatalf("openai session %v", sess)
			}
		}},
		{"", "glm-realtime-air", func(t *testing.T, sess map[string]any, c *llmtest.RealtimeConn) {
			if sess["voice"] != "tongtong" || sess["output_audio_format"] != "pcm" ||
				sess["beta_fields"].(map[string]any)["chat_mode"] != "video_passive" {
				t.Fatalf("glm session %v", sess)
			}
		}},
		{"", "step-audio-2", func(t *testing.T, sess map[string]any, c *llmtest.RealtimeConn) {
			if sess["voice"] != "qingchunshaonv" || sess["tools"].([]any)[0].(map[string]any)["type"] != "web_search" {
				t.Fatalf("step session %v", sess)
			}
		}},
		{llm.FamilyFree, "free-model", func(t *testing.T, sess map[string]any, c *llmtest.RealtimeConn) {
			if c.Model != "" || len(sess["modalities"].([]any)) != 2 {
				t.Fatalf("free: model query %q session %v", c.Model, sess)
			}
		}},
		{"", "my-local-omni", func(t *testing.T, sess map[string]any, c *llmtest.RealtimeConn) {
			if sess["instructions"] != "You are Neko." || sess["input_audio_format"] != "pcm16" {
				t.Fatalf("custom session %v", sess)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.model, func(t *testing.T) {
			_, c := dialRT(t, s, tc.family, tc.model)
			tc.check(t, sessionOf(t, c), c)
		})
	}
	t.Run("text only", func(t *testing.T) {
		_, c := dialRT(t, s, "", "qwen-omni", func(cfg *llm.RealtimeConfig) { cfg.TextOnly = true; cfg.Voice = "Cherry" })
		sess := sessionOf(t, c)
		if m := sess["modalities"].([]any); len(m) != 1 || m[0] != "text" || sess["voice"] != "Cherry" {
			t.Fatalf("session %v", sess)
		}
	})
}

func TestRealtimeTurnAudioAndTranscripts(t *testing.T) {
	for _, model := range []string{"qwen3-omni-flash-realtime", "gpt-realtime-mini", "glm-realtime-air", "step-audio-2"} {
		t.Run(model, func(t *testing.T) {
			s := llmtest.New(t)
			hold := make(chan struct{})
			s.ScriptRealtime(func(r llmtest.RealtimeRequest) llmtest.RealtimeReply {
				return llmtest.RealtimeReply{Chunks: []string{"Hi ", "there"}, Audio: [][]byte{llmtest.PCM16(960), llmtest.PCM16(960)},
					Hold: hold}
			})
			rt, c := dialRT(t, s, "", model)
			if err := rt.SendAudio(context.Background(), llmtest.PCM16(3200)); err != nil {
				t.Fatal(err)
			}
			c.SpeechStarted()
			c.SpeechStopped()
			if err := rt.CreateResponse(context.Background(), "hello", false); err != nil {
				t.Fatal(err)
			}
			// Transcript deltas are held until the user's transcript arrived.
			evs := collect(t, rt, isKind(llm.EventAudio))
			c.InputTranscript("hello there")
			close(hold)
			evs = append(evs, collect(t, rt, isKind(llm.EventResponseDone))...)
			var text string
			var audioBytes int
			order := []llm.EventKind{}
			for _, e := range evs {
				switch e.Kind {
				case llm.EventText:
					text += e.Text
				case llm.EventAudio:
					audioBytes += len(e.Audio)
				}
				if e.Kind == llm.EventInputTranscript || e.Kind == llm.EventText {
					order = append(order, e.Kind)
				}
			}
			if text != "Hi there" || audioBytes != 1920 {
				t.Fatalf("text %q audio %d events %s", text, audioBytes, kinds(evs))
			}
			if !strings.HasPrefix(kinds(evs), "speech_started,speech_stopped") {
				t.Fatalf("VAD events first: %s", kinds(evs))
			}
			if model != "step-audio-2" && order[0] != llm.EventInputTranscript {
				t.Fatalf("user transcript must come before the reply: %s", kinds(evs))
			}
			got := c.ReceivedAudio()
			want := 3200
			if strings.Contains(model, "gpt") {
				want = 4800 // resampled to 24 kHz
			}
			if got < want-512 || got > want+64 { // the resampler holds back its filter delay
				t.Fatalf("server got %d audio bytes, want ≈%d", got, want)
			}
			if strings.Contains(model, "qwen") {
				up := c.WaitFor(wait, func(ev map[string]any) bool {
					s, _ := ev["session"].(map[string]any)
					return ev["type"] == "session.update" && strings.HasSuffix(s["instructions"].(string), "\nhello")
				})
				if up == nil {
					t.Fatal("qwen must put the turn into the instructions")
				}
			} else if c.WaitType(wait, "conversation.item.create") == nil {
				t.Fatal("no conversation.item.create")
			}
		})
	}
}

func TestRealtimeCancelResponse(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptRealtime(func(llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Chunks: []string{"a", "b", "c", "d", "e", "f"}, Delay: 300 * time.Millisecond}
	})
	rt, c := dialRT(t, s, "", "qwen3-omni")
	_ = rt.CreateResponse(context.Background(), "talk", false)
	collect(t, rt, isKind(llm.EventText))
	start := time.Now()
	if err := rt.CancelResponse(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := collect(t, rt, isKind(llm.EventResponseDone))
	if time.Since(start) > 2*time.Second || c.WaitType(wait, "response.cancel") == nil {
		t.Fatalf("cancel took %v (%s)", time.Since(start), kinds(evs))
	}
	n := 0
	for _, e := range evs {
		if e.Kind == llm.EventText {
			n++
		}
	}
	if n > 2 {
		t.Fatalf("got %d more deltas after cancel", n)
	}
}

func TestRealtimeWarmupIsSilent(t *testing.T) {
	s := llmtest.New(t)
	for _, model := range []string{"qwen3-omni", "gpt-realtime"} {
		rt, c := dialRT(t, s, "", model)
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		if err := rt.Warmup(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if c.WaitType(wait, "response.create") == nil {
			t.Fatal("warm-up sent no response.create")
		}
		// The next real response is delivered; nothing of the warm-up is.
		_ = rt.CreateResponse(context.Background(), "real", false)
		evs := collect(t, rt, isKind(llm.EventResponseDone))
		for _, e := range evs {
			if e.Kind == llm.EventText && e.Text != "real" {
				t.Fatalf("warm-up leaked: %q", e.Text)
			}
		}
		if evs[0].Kind != llm.EventResponseCreated || len(evs) < 3 {
			t.Fatalf("%s: events %s", model, kinds(evs))
		}
	}
}

func TestRealtimeImageInputPerFamily(t *testing.T) {
	s := llmtest.New(t)
	jpeg := []byte{0xff, 0xd8, 0xff, 0xe0, 1, 2, 3}
	cases := map[string]func(map[string]any) bool{
		"qwen3-omni": func(ev map[string]any) bool {
			return ev["type"] == "input_image_buffer.append" && ev["image"] == "/9j/4AECAw=="
		},
		"glm-realtime": func(ev map[string]any) bool {
			return ev["type"] == "input_audio_buffer.append_video_frame" && ev["video_frame"] == "/9j/4AECAw=="
		},
		"step-audio-2": func(ev map[string]any) bool {
			if ev["type"] != "conversation.item.create" {
				return false
			}
			p := ev["item"].(map[string]any)["content"].([]any)[0].(map[string]any)
			return p["type"] == "input_image"
		},
		"gpt-realtime": func(ev map[string]any) bool {
			if ev["type"] != "conversation.item.create" {
				return false
			}
			p := ev["item"].(map[string]any)["content"].([]any)[0].(map[string]any)
			return p["type"] == "input_image" && p["image_url"] == "data:image/jpeg;base64,/9j/4AECAw=="
		},
	}
	for model, match := range cases {
		rt, c := dialRT(t, s, "", model)
		if err := rt.SendImage(context.Background(), jpeg); err != nil {
			t.Fatal(err)
		}
		if c.WaitFor(wait, match) == nil {
			t.Fatalf("%s: image event not received: %v", model, c.Received())
		}
	}
}

func TestRealtimeLateWarmupIsCancelled(t *testing.T) {
	s := llmtest.New(t)
	s.ScriptRealtime(func(r llmtest.RealtimeRequest) llmtest.RealtimeReply {
		if r.Text == "" {
			return llmtest.RealtimeReply{Chunks: []string{"warm"}, FirstDelay: 10 * time.Second}
		}
		return llmtest.RealtimeReply{}
	})
	rt, c := dialRT(t, s, "", "gpt-realtime", func(cfg *llm.RealtimeConfig) { cfg.WarmupTimeout = 100 * time.Millisecond })
	if err := rt.Warmup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.WaitType(wait, "response.cancel") == nil {
		t.Fatal("late warm-up must be cancelled")
	}
	_ = rt.CreateResponse(context.Background(), "real", false)
	var text string
	for _, e := range collect(t, rt, isKind(llm.EventResponseDone)) {
		if e.Kind == llm.EventText {
			text += e.Text
		}
	}
	if text != "real" {
		t.Fatalf("text %q", text)
	}
}

func TestRealtimeTextOnlySessions(t *testing.T) {
	for _, model := range []string{"qwen3-omni", "gpt-realtime", "glm-realtime", "step-audio-2"} {
		t.Run(model, func(t *testing.T) {
			s := llmtest.New(t)
			s.ScriptRealtime(func(llmtest.RealtimeRequest) llmtest.RealtimeReply {
				return llmtest.RealtimeReply{Chunks: []string{"only ", "text"}, Audio: [][]byte{llmtest.PCM16(96)}}
			})
			rt, _ := dialRT(t, s, "", model, func(cfg *llm.RealtimeConfig) { cfg.TextOnly = true })
			_ = rt.CreateResponse(context.Background(), "x", false)
			text, audio := "", 0
			for _, e := range collect(t, rt, isKind(llm.EventResponseDone)) {
				switch e.Kind {
				case llm.EventText:
					text += e.Text
				case llm.EventAudio:
					audio++
				}
			}
			wantAudio := 0
			if model == "step-audio-2" {
				wantAudio = 1 // StepFun's modalities are fixed to text+audio
			}
			if text != "only text" || audio != wantAudio {
				t.Fatalf("text %q audio %d", text, audio)
			}
		})
	}
}

func TestRealtimeFailedSkippedCreateDoesNotMuteNextReply(t *testing.T) {
	s := llmtest.New(t)
	rt, _ := dialRT(t, s, "", "gpt-realtime")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rt.CreateResponse(ctx, "", true); err == nil {
		t.Fatal("a cancelled context must fail the send")
	}
	_ = rt.CreateResponse(context.Background(), "heard", false)
	text := ""
	for _, e := range collect(t, rt, isKind(llm.EventResponseDone)) {
		if e.Kind == llm.EventText {
			text += e.Text
		}
	}
	if text != "heard" {
		t.Fatalf("text %q", text)
	}
}
