package tts_test

import (
	"strings"
	"testing"
	"time"

	"neko/backend/tts"
	"neko/backend/tts/ttstest"
)

const testKey = "sk-test-key"

// engineCase describes one provider engine and its protocol server.
type engineCase struct {
	server func(ttstest.Script) *ttstest.Server
	// engine builds the engine for a server; timeout is its handshake or
	// response timeout.
	engine func(s *ttstest.Server, key string, timeout time.Duration) tts.Engine
	// failCode is a provider error code the server sends as its error
	// event; wantFail is the status code it must map to.
	failCode, failMsg, wantFail string
	ogg                         bool
	// noKey: the protocol has no key (local servers), skip key checks.
	noKey bool
}

func startServer(t *testing.T, ec engineCase, sc ttstest.Script) *ttstest.Server {
	t.Helper()
	if !ec.noKey && sc.APIKey == "" {
		sc.APIKey = testKey
	}
	s := ec.server(sc)
	t.Cleanup(s.Close)
	return s
}

func startEngine(t *testing.T, ec engineCase, s *ttstest.Server, timeout time.Duration) *tts.Worker {
	t.Helper()
	w := tts.NewWorker(ec.engine(s, testKey, timeout), tts.WorkerConfig{ReadyTimeout: 10 * time.Second})
	runWorker(t, w)
	return w
}

// firstError reads events until an error and returns it; audio fails.
func firstError(t *testing.T, w *tts.Worker) tts.Event {
	t.Helper()
	for {
		ev := next(t, w)
		switch ev.Kind {
		case tts.EventError:
			return ev
		case tts.EventAudio:
			t.Fatalf("unexpected audio from a failing provider")
		case tts.EventDone:
			t.Fatalf("utterance finished without the expected error")
		}
	}
}

func runEngineSuite(t *testing.T, ec engineCase) {
	t.Run("utterance", func(t *testing.T) {
		s := startServer(t, ec, ttstest.Script{})
		w := startEngine(t, ec, s, 5*time.Second)
		expectReady(t, w)
		w.Speak("s1", "Hello **there**! (smiles) How are ")
		w.Speak("s1", "you today?")
		w.End()
		var pcm, ogg int
		for done := false; !done; {
			ev := next(t, w)
			switch ev.Kind {
			case tts.EventAudio:
				if ev.SpeechID != "s1" {
					t.Fatalf("audio tagged %q", ev.SpeechID)
				}
				pcm += len(ev.PCM)
				ogg += len(ev.OGG)
				if len(ev.PCM)%2 != 0 {
					t.Fatalf("odd PCM chunk of %d bytes", len(ev.PCM))
				}
			case tts.EventError:
				t.Fatalf("error: %v (%s)", ev.Err, ev.Code)
			case tts.EventDone:
				done = true
			}
		}
		if ec.ogg && (ogg == 0 || pcm != 0) {
			t.Fatalf("want OGG passthrough, got %d OGG and %d PCM bytes", ogg, pcm)
		}
		if !ec.ogg && pcm < 2*4800 { // at least 0.1 s at 48 kHz
			t.Fatalf("only %d PCM bytes", pcm)
		}
		got := strings.Join(s.Texts(), " ")
		if got != "Hello there! How are you today?" {
			t.Fatalf("server got texts %q", s.Texts())
		}
	})

	t.Run("interrupt", func(t *testing.T) {
		s := startServer(t, ec, ttstest.Script{Endless: true})
		w := startEngine(t, ec, s, 5*time.Second)
		expectReady(t, w)
		w.Speak("old", "Tell me a very long story. ") // a whole clause: sent at once
		for n := 0; n < 3; {
			ev := next(t, w)
			if ev.Kind == tts.EventError {
				t.Fatalf("error: %v", ev.Err)
			}
			if ev.Kind == tts.EventAudio && ev.SpeechID == "old" {
				n++
			}
		}
		w.Interrupt()
		if !s.WaitFor(10*time.Second, func() bool { o, c := s.Connections(); return o > 0 && c >= 1 }) {
			t.Fatal("the interrupted stream's connection was not closed")
		}
		calm := ttstest.Script{}
		if !ec.noKey {
			calm.APIKey = testKey
		}
		s.SetScript(calm)
		w.Speak("new", "Okay. ")
		w.End()
		deadline := time.After(10 * time.Second)
		for done := false; !done; {
			var ev tts.Event
			select {
			case ev = <-w.Events():
			case <-deadline:
				t.Fatal("no Done for the new speech")
			}
			switch {
			case ev.Kind == tts.EventAudio && ev.SpeechID == "old":
				t.Fatal("audio of the interrupted speech after Interrupt returned")
			case ev.Kind == tts.EventError:
				t.Fatalf("error: %v", ev.Err)
			case ev.Kind == tts.EventDone && ev.SpeechID == "new":
				done = true
			}
		}
	})

	t.Run("ready timeout", func(t *testing.T) {
		s := startServer(t, ec, ttstest.Script{Silent: true})
		w := startEngine(t, ec, s, 300*time.Millisecond)
		ev := next(t, w)
		if ev.Kind != tts.EventReady {
			t.Fatalf("first event %+v", ev)
		}
		if ev.Ready { // greeting-less protocols time out on the first request
			w.Speak("s1", "Hello there.")
			w.End()
		}
		if ev := firstError(t, w); ev.Code != tts.CodeConnTimeout {
			t.Fatalf("code %s (%v), want %s", ev.Code, ev.Err, tts.CodeConnTimeout)
		}
	})

	t.Run("errors", func(t *testing.T) {
		cases := []struct {
			script ttstest.Script
			want   string
		}{
			{ttstest.Script{RejectStatus: 429}, tts.CodeRateLimit},
			{ttstest.Script{RejectStatus: 500}, tts.CodeServerError},
			{ttstest.Script{FailCode: ec.failCode, FailMessage: ec.failMsg}, ec.wantFail},
		}
		if !ec.noKey {
			cases = append(cases, struct {
				script ttstest.Script
				want   string
			}{ttstest.Script{APIKey: "the-right-key"}, tts.CodeKeyRejected})
		}
		for _, c := range cases {
			s := startServer(t, ec, c.script)
			w := startEngine(t, ec, s, 5*time.Second)
			if ev := next(t, w); ev.Kind != tts.EventReady {
				t.Fatalf("first event %+v", ev)
			} else if ev.Ready {
				w.Speak("s1", "Hello there.")
				w.End()
			}
			if ev := firstError(t, w); ev.Code != c.want {
				t.Errorf("script %+v: code %s (%v), want %s", c.script, ev.Code, ev.Err, c.want)
			}
		}
	})
}

func TestQwenEngine(t *testing.T) {
	runEngineSuite(t, engineCase{
		server: ttstest.NewQwen,
		engine: func(s *ttstest.Server, key string, timeout time.Duration) tts.Engine {
			return tts.NewQwen(tts.QwenConfig{URL: s.URL + "/api-ws/v1/realtime", APIKey: key, HandshakeTimeout: timeout})
		},
		failCode: "Arrearage", failMsg: "Access denied, please make sure your account is in good standing.", wantFail: tts.CodeArrears,
	})
}

func TestStepEngine(t *testing.T) {
	runEngineSuite(t, engineCase{
		server: ttstest.NewStep,
		engine: func(s *ttstest.Server, key string, timeout time.Duration) tts.Engine {
			return tts.NewStep(tts.StepConfig{URL: s.URL + "/v1/realtime/audio", APIKey: key, HandshakeTimeout: timeout})
		},
		failCode: "rate_limit_exceeded", failMsg: "Too many requests", wantFail: tts.CodeRateLimit,
	})
}

func TestCosyVoiceEngine(t *testing.T) {
	runEngineSuite(t, engineCase{
		server: ttstest.NewCosyVoice,
		engine: func(s *ttstest.Server, key string, timeout time.Duration) tts.Engine {
			return tts.NewCosyVoice(tts.CosyVoiceConfig{URL: s.URL + "/api-ws/v1/inference", APIKey: key, Voice: "cosyvoice-v3.5-plus-neko-abc", HandshakeTimeout: timeout})
		},
		failCode: "DataInspectionFailed", failMsg: "Input data may contain inappropriate content.", wantFail: tts.CodePolicy,
		ogg: true,
	})
}

func TestCosyVoicePassesOGGThroughByteExact(t *testing.T) {
	s := ttstest.NewCosyVoice(ttstest.Script{APIKey: testKey, Chunks: 4})
	t.Cleanup(s.Close)
	w := tts.NewWorker(tts.NewCosyVoice(tts.CosyVoiceConfig{URL: s.URL, APIKey: testKey, Voice: "v1"}), tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("s1", "こんにちは元気ですか。")
	w.End()
	var got []byte
	var sizes []int
	for done := false; !done; {
		ev := next(t, w)
		switch ev.Kind {
		case tts.EventAudio:
			got = append(got, ev.OGG...)
			sizes = append(sizes, len(ev.OGG))
		case tts.EventError:
			t.Fatal(ev.Err)
		case tts.EventDone:
			done = true
		}
	}
	var want []byte
	for i := 1; i <= 4; i++ {
		want = append(want, ttstest.OggChunk(i, 700)...)
	}
	if string(got) != string(want) {
		t.Fatalf("OGG changed in transit: %d bytes, want %d", len(got), len(want))
	}
	if sizes[0] < 1024 {
		t.Fatalf("first packet %d B, want aggregated to ≥1024", sizes[0])
	}
	run := s.Requests()[0]
	params := run["payload"].(map[string]any)["parameters"].(map[string]any)
	if params["format"] != "opus" || params["sample_rate"] != float64(48000) || params["voice"] != "v1" {
		t.Fatalf("run-task parameters %v", params)
	}
	if hints, _ := params["language_hints"].([]any); len(hints) != 1 || hints[0] != "ja" {
		t.Fatalf("kana text without language_hints [ja]: %v", params)
	}
	if ev := s.Events(); strings.Join(ev, ",") != "run-task,continue-task,finish-task" {
		t.Fatalf("events %v", ev)
	}
}

func TestCosyVoiceIdleFinish(t *testing.T) {
	s := ttstest.NewCosyVoice(ttstest.Script{APIKey: testKey})
	t.Cleanup(s.Close)
	w := tts.NewWorker(tts.NewCosyVoice(tts.CosyVoiceConfig{URL: s.URL, APIKey: testKey, Voice: "v1", IdleFinish: 50 * time.Millisecond}), tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("s1", "First sentence here. ")
	if !s.WaitFor(5*time.Second, func() bool { return strings.Count(strings.Join(s.Events(), ","), "finish-task") == 1 }) {
		t.Fatalf("no finish-task after idling: %v", s.Events())
	}
	w.Speak("s1", "Second sentence here.")
	w.End()
	collect(t, w, "s1")
	if got := strings.Join(s.Events(), ","); got != "run-task,continue-task,finish-task,run-task,continue-task,finish-task" {
		t.Fatalf("events %s", got)
	}
}

func TestOpenAIEngine(t *testing.T) {
	runEngineSuite(t, engineCase{
		server: ttstest.NewOpenAI,
		engine: func(s *ttstest.Server, key string, timeout time.Duration) tts.Engine {
			return tts.NewOpenAI(tts.OpenAIConfig{BaseURL: s.URL + "/v1", APIKey: key, HandshakeTimeout: timeout})
		},
		failCode: "insufficient_quota", failMsg: "You exceeded your current quota, please check your plan and billing details.", wantFail: tts.CodeQuota,
	})
}

func TestCogTTSEngine(t *testing.T) {
	runEngineSuite(t, engineCase{
		server: ttstest.NewCogTTS,
		engine: func(s *ttstest.Server, key string, timeout time.Duration) tts.Engine {
			return tts.NewCogTTS(tts.CogTTSConfig{BaseURL: s.URL + "/api/paas/v4", APIKey: key, HandshakeTimeout: timeout})
		},
		failCode: "1113", failMsg: "余额不足或无可用资源包,请充值。", wantFail: tts.CodeArrears,
	})
}

func TestGeminiEngine(t *testing.T) {
	runEngineSuite(t, engineCase{
		server: ttstest.NewGemini,
		engine: func(s *ttstest.Server, key string, timeout time.Duration) tts.Engine {
			return tts.NewGemini(tts.GeminiConfig{BaseURL: s.URL, APIKey: key, HandshakeTimeout: timeout})
		},
		failCode: "FAILED_PRECONDITION", failMsg: "User location is not supported for the API use.", wantFail: tts.CodeResponseInvalid,
	})
}

func TestGPTSoVITSEngine(t *testing.T) {
	runEngineSuite(t, engineCase{
		server: ttstest.NewGPTSoVITS,
		engine: func(s *ttstest.Server, _ string, timeout time.Duration) tts.Engine {
			return tts.NewGPTSoVITS(tts.GPTSoVITSConfig{BaseURL: s.URL, Voice: `gsv:alice|{"speed":1.2,"text_lang":"all_zh"}`, HandshakeTimeout: timeout})
		},
		failCode: "rate limit", failMsg: "too many concurrent sessions", wantFail: tts.CodeRateLimit,
		noKey: true,
	})
}

func TestGPTSoVITSInitAndRates(t *testing.T) {
	s := ttstest.NewGPTSoVITS(ttstest.Script{Rate: 44100, Chunks: 5, ChunkMillis: 100})
	t.Cleanup(s.Close)
	w := tts.NewWorker(tts.NewGPTSoVITS(tts.GPTSoVITSConfig{BaseURL: s.URL, Voice: `gsv:alice|{"speed":1.2}`}), tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w)
	w.Speak("s1", "今天天气很好。")
	w.End()
	got := collect(t, w, "s1")["s1"] / 2
	if got < 23500 || got > 24500 { // 0.5 s of 44.1 kHz WAV chunks → 48 kHz
		t.Fatalf("%d samples at 48 kHz, want about 24000", got)
	}
	init := s.Requests()[0]
	if init["cmd"] != "init" || init["voice_id"] != "alice" || init["speed"] != 1.2 {
		t.Fatalf("init message %v", init)
	}
	if ev := strings.Join(s.Events(), ","); ev != "init,append,end" {
		t.Fatalf("events %s", ev)
	}
}

func TestLocalCosyVoiceEngine(t *testing.T) {
	runEngineSuite(t, engineCase{
		server: ttstest.NewLocalCosyVoice,
		engine: func(s *ttstest.Server, _ string, timeout time.Duration) tts.Engine {
			return tts.NewLocalCosyVoice(tts.LocalCosyVoiceConfig{BaseURL: s.URL, Voice: "中文女:1.1", HandshakeTimeout: timeout})
		},
		failCode: "quota", failMsg: "GPU quota exhausted", wantFail: tts.CodeQuota,
		noKey: true,
	})
}

func TestVoiceIDParsing(t *testing.T) {
	if id, extra := tts.ParseGSVVoice(`gsv:bob|{"text_lang":"ja"}`); id != "bob" || extra["text_lang"] != "ja" {
		t.Errorf("gsv: %s %v", id, extra)
	}
	if id, extra := tts.ParseGSVVoice("gsv:bob|{broken"); id != "bob" || extra != nil {
		t.Errorf("gsv broken json: %s %v", id, extra)
	}
	if id, _ := tts.ParseGSVVoice(""); id != "_default" {
		t.Errorf("gsv empty: %s", id)
	}
	if n, sp := tts.ParseLocalVoice("中文男:1.3"); n != "中文男" || sp != 1.3 {
		t.Errorf("local: %s %v", n, sp)
	}
	if n, sp := tts.ParseLocalVoice(""); n != "中文女" || sp != 1.0 {
		t.Errorf("local default: %s %v", n, sp)
	}
}

func TestPrewarmOpensTheNextConnection(t *testing.T) {
	s := ttstest.NewQwen(ttstest.Script{APIKey: testKey})
	t.Cleanup(s.Close)
	w := tts.NewWorker(tts.NewQwen(tts.QwenConfig{URL: s.URL, APIKey: testKey}), tts.WorkerConfig{})
	runWorker(t, w)
	expectReady(t, w) // Prepare opened connection 1 and keeps it
	w.Speak("s1", "One. ")
	w.End()
	collect(t, w, "s1") // used connection 1
	w.Prewarm()
	if !s.WaitFor(5*time.Second, func() bool { o, _ := s.Connections(); return o == 2 }) {
		t.Fatal("Prewarm did not connect")
	}
	w.Speak("s2", "Two. ")
	w.End()
	collect(t, w, "s2")
	if o, _ := s.Connections(); o != 2 {
		t.Fatalf("%d connections, want 2 (the warmed one reused)", o)
	}
}

func TestCogTTSCutsWatermarkBeeps(t *testing.T) {
	for _, wm := range []bool{false, true} {
		s := ttstest.NewCogTTS(ttstest.Script{APIKey: testKey, Watermark: wm, Chunks: 2, ChunkMillis: 200})
		t.Cleanup(s.Close)
		w := tts.NewWorker(tts.NewCogTTS(tts.CogTTSConfig{BaseURL: s.URL + "/api/paas/v4", APIKey: testKey}), tts.WorkerConfig{})
		runWorker(t, w)
		expectReady(t, w)
		w.Speak("s1", "今天天气很好。")
		w.End()
		got := float64(collect(t, w, "s1")["s1"]/2) / 48000
		// 0.4 s of speech either way: the 0.2 s of beeps are cut, speech kept.
		if got < 0.38 || got > 0.41 {
			t.Errorf("watermark %v: %.3f s of audio, want 0.4", wm, got)
		}
	}
}
