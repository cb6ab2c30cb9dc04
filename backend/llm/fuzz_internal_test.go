package llm

import (
	"log/slog"
	"testing"
)

func fuzzSession() *wsSession {
	return &wsSession{events: make(chan RealtimeEvent, 1024), done: make(chan struct{}), log: slog.New(slog.DiscardHandler)}
}

func drain(ch chan RealtimeEvent) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// FuzzRealtimeHandle feeds arbitrary provider frames to both realtime
// clients' handlers: they must never panic.
func FuzzRealtimeHandle(f *testing.F) {
	for _, s := range []string{
		`{"type":"response.created","response":{"id":"r1"}}`,
		`{"type":"response.audio.delta","response_id":"r1","delta":"AAAA"}`,
		`{"type":"response.audio_transcript.delta","response_id":"r1","delta":"hi"}`,
		`{"type":"error","error":{"message":"overloaded"}}`,
		`{"type":"response.done","response":{"id":"r1"}}`,
		`{"serverContent":{"modelTurn":{"parts":[{"inlineData":{"mimeType":"audio/pcm","data":"AAAA"}}]}}}`,
		`{"serverContent":{"interrupted":true,"turnComplete":true}}`,
		`{"setupComplete":{}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, fam := range []string{FamilyQwen, FamilyGLM, FamilyOpenAI} {
			c := &openAIRealtime{cfg: RealtimeConfig{Family: fam, ThrottleFor: 1}, wsSession: fuzzSession(), warm: make(chan struct{}, 1)}
			c.skipPending = 1
			_ = c.handle(msg)
			_ = c.handle(msg)
			drain(c.events)
		}
		g := &geminiLive{cfg: RealtimeConfig{Family: FamilyGemini}, wsSession: fuzzSession(), setup: make(chan struct{})}
		_ = g.handle(msg)
		_ = g.handle(msg)
		drain(g.events)
	})
}
