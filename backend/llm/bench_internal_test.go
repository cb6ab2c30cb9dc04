package llm

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
)

// BenchmarkRealtimeAudioDelta reports the client's cost to parse one
// provider audio delta (40 ms of 24 kHz PCM16, base64 in JSON) into an
// EventAudio.
func BenchmarkRealtimeAudioDelta(b *testing.B) {
	pcm := make([]byte, 1920)
	for i := range pcm {
		pcm[i] = byte(i * 7)
	}
	msg := []byte(fmt.Sprintf(`{"type":"response.audio.delta","event_id":"event_1","response_id":"resp_1","item_id":"item_1",`+
		`"output_index":0,"content_index":0,"delta":"%s"}`, base64.StdEncoding.EncodeToString(pcm)))
	c := &openAIRealtime{cfg: RealtimeConfig{Family: FamilyQwen}, wsSession: &wsSession{
		events: make(chan RealtimeEvent, 1), done: make(chan struct{}), log: slog.New(slog.DiscardHandler)}}
	b.SetBytes(int64(len(pcm)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.handle(msg); err != nil {
			b.Fatal(err)
		}
		ev := <-c.events
		if len(ev.Audio) != len(pcm) {
			b.Fatal("bad audio")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/delta")
}

// BenchmarkRealtimeTextDelta is the same for a transcript delta.
func BenchmarkRealtimeTextDelta(b *testing.B) {
	msg := []byte(`{"type":"response.audio_transcript.delta","event_id":"event_2","response_id":"resp_1","item_id":"item_1",` +
		`"output_index":0,"content_index":0,"delta":"你好，今天"}`)
	c := &openAIRealtime{cfg: RealtimeConfig{Family: FamilyQwen}, wsSession: &wsSession{
		events: make(chan RealtimeEvent, 1), done: make(chan struct{}), log: slog.New(slog.DiscardHandler)}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = c.handle(msg)
		<-c.events
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/delta")
}

func TestFastAudioDeltaMatchesJSON(t *testing.T) {
	pcm := []byte("some pcm bytes, any content at all \x00\xff")
	b64 := base64.StdEncoding.EncodeToString(pcm)
	for _, msg := range []string{
		`{"type":"response.audio.delta","event_id":"event_1","response_id":"resp_1","delta":"` + b64 + `"}`,
		`{"type":"response.output_audio.delta","event_id":"event_1","response_id":"resp_1","delta":"` + b64 + `"}`,
	} {
		got, ok := fastAudioDelta([]byte(msg))
		if !ok || string(got) != string(pcm) {
			t.Fatalf("%s: ok %v got %q", msg, ok, got)
		}
	}
	for _, msg := range []string{
		`{"type":"response.audio.delta","event_id":"event_1","response_id":"resp_1","delta":"` + `a\/b` + `"}`,
		`{"type":"response.text.delta","event_id":"event_1","response_id":"resp_1","delta":"` + b64 + `"}`,
		`{"type":"response.audio.delta","event_id":"event_1","response_id":"resp_1","delta":"!!!notbase64!!!"}`,
		`{"type":"response.audio.delta"}`,
	} {
		if _, ok := fastAudioDelta([]byte(msg)); ok {
			t.Fatalf("%s: fast path must decline", msg)
		}
	}
}

func FuzzFastAudioDelta(f *testing.F) {
	f.Add([]byte(`{"type":"response.audio.delta","event_id":"event_1","response_id":"resp_1","delta":"AAECAw=="}`))
	f.Add([]byte(`{"type":"response.output_audio.delta","event_id":"e","delta":"AA\u003d\u003d"}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		pcm, ok := fastAudioDelta(msg)
		if !ok {
			return
		}
		// Whatever the fast path accepts, encoding/json must read the same.
		var ev rtEvent
		if err := json.Unmarshal(msg, &ev); err != nil {
			return // fast path is lenient on broken JSON; the bytes still decoded as base64
		}
		if ev.Type != "response.audio.delta" && ev.Type != "response.output_audio.delta" {
			return
		}
		want, err := base64.StdEncoding.DecodeString(ev.Delta)
		if err == nil && string(want) != string(pcm) {
			t.Fatalf("fast %q json %q", pcm, want)
		}
	})
}
