package tts_test

import (
	"context"
	"testing"
	"time"

	"neko/backend/tts"
	"neko/backend/tts/ttstest"
)

// benchEngine measures, over loopback, the time from Speak to the first
// 48 kHz audio event: the client's own cost (connect, greeting, request,
// decode, resample), with the provider's synthesis time taken out.
func benchEngine(b *testing.B, srv *ttstest.Server, eng tts.Engine) {
	b.Cleanup(srv.Close)
	w := tts.NewWorker(eng, tts.WorkerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	if ev := <-w.Events(); !ev.Ready {
		b.Fatal("not ready")
	}
	var first time.Duration
	n := 0
	for b.Loop() {
		n++
		id := time.Now().String()
		start := time.Now()
		w.Speak(id, "Hello there, how are you today? ")
		w.End()
		got := false
		for done := false; !done; {
			ev := <-w.Events()
			switch ev.Kind {
			case tts.EventAudio:
				if !got {
					first += time.Since(start)
					got = true
				}
			case tts.EventError:
				b.Fatal(ev.Err)
			case tts.EventDone:
				done = ev.SpeechID == id
			}
		}
	}
	b.ReportMetric(float64(first.Microseconds())/float64(n)/1000, "ms/first-audio")
}

func BenchmarkEngineFirstAudio(b *testing.B) {
	b.Run("qwen-ws", func(b *testing.B) {
		s := ttstest.NewQwen(ttstest.Script{})
		benchEngine(b, s, tts.NewQwen(tts.QwenConfig{URL: s.URL, APIKey: "k"}))
	})
	b.Run("cosyvoice-ogg", func(b *testing.B) {
		s := ttstest.NewCosyVoice(ttstest.Script{})
		benchEngine(b, s, tts.NewCosyVoice(tts.CosyVoiceConfig{URL: s.URL, APIKey: "k", Voice: "v"}))
	})
	b.Run("openai-http", func(b *testing.B) {
		s := ttstest.NewOpenAI(ttstest.Script{})
		benchEngine(b, s, tts.NewOpenAI(tts.OpenAIConfig{BaseURL: s.URL + "/v1", APIKey: "k"}))
	})
	b.Run("gptsovits-wav", func(b *testing.B) {
		s := ttstest.NewGPTSoVITS(ttstest.Script{})
		benchEngine(b, s, tts.NewGPTSoVITS(tts.GPTSoVITSConfig{BaseURL: s.URL}))
	})
}
