package tts_test

import (
	"context"
	"fmt"

	"neko/backend/tts"
	"neko/backend/tts/ttstest"
)

// A worker speaks a streamed reply with an OpenAI-compatible server (here a
// local protocol server) and delivers 48 kHz PCM tagged with the speech id.
func ExampleWorker() {
	srv := ttstest.NewOpenAI(ttstest.Script{APIKey: "sk-demo"})
	defer srv.Close()
	w := tts.NewWorker(tts.NewOpenAI(tts.OpenAIConfig{BaseURL: srv.URL + "/v1", APIKey: "sk-demo"}), tts.WorkerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	defer func() { cancel(); <-stopped }()

	fmt.Println("ready:", (<-w.Events()).Ready)
	w.Speak("turn-1", "Hello! (waves) How ")
	w.Speak("turn-1", "are you?")
	w.End()
	bytes := 0
	for ev := range w.Events() {
		if ev.Kind == tts.EventAudio {
			bytes += len(ev.PCM)
		}
		if ev.Kind == tts.EventDone {
			fmt.Println("done:", ev.SpeechID, "audio:", bytes > 0)
			break
		}
	}
	fmt.Println("server heard:", srv.Texts())
	// Output:
	// ready: true
	// done: turn-1 audio: true
	// server heard: [Hello! How are you?]
}
