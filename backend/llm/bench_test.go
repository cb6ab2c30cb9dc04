package llm_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"neko/backend/llm"
	"neko/backend/llm/llmtest"
)

// cannedTransport answers every request with the same SSE body, so a
// benchmark measures only the client's own work.
type cannedTransport struct{ body []byte }

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(bytes.NewReader(c.body)), Request: r}, nil
}

func sseBody(n int) []byte {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\","+
			"\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word%d \"},\"finish_reason\":null}]}\n\n", i%10)
	}
	b.WriteString("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
	b.WriteString("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":200,\"total_tokens\":205}}\n\n")
	b.WriteString("data: [DONE]\n\n")
	return []byte(b.String())
}

// BenchmarkChatStreamPerDelta reports the client's cost per SSE event
// (request building and response assembly amortised over 200 deltas).
func BenchmarkChatStreamPerDelta(b *testing.B) {
	const n = 200
	c := llm.NewChatClient(llm.Endpoint{BaseURL: "http://bench.invalid/v1", Model: "m"},
		llm.WithHTTPClient(&http.Client{Transport: cannedTransport{body: sseBody(n)}}))
	req := userMsg("hello")
	ctx := context.Background()
	deltas := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Stream(ctx, req, func(string) error { deltas++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if deltas != n*b.N {
		b.Fatalf("deltas %d", deltas)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(deltas), "ns/delta")
}

// BenchmarkRealtimeAudioOverSocket streams 40 ms audio deltas from the
// test provider over a loopback WebSocket: the end-to-end cost per delta
// (server encoding included), as a ceiling for the client's share.
func BenchmarkRealtimeAudioOverSocket(b *testing.B) {
	const n = 200
	s := llmtest.New(b)
	audio := make([][]byte, n)
	for i := range audio {
		audio[i] = llmtest.PCM16(1920)
	}
	s.ScriptRealtime(func(llmtest.RealtimeRequest) llmtest.RealtimeReply {
		return llmtest.RealtimeReply{Chunks: []string{"x"}, Audio: audio}
	})
	rt, err := llm.DialRealtime(context.Background(), llm.RealtimeConfig{URL: s.RealtimeURL(), Model: "qwen3-omni"})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	got := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = rt.CreateResponse(context.Background(), "go", false)
		for ev := range rt.Events() {
			if ev.Kind == llm.EventAudio {
				got++
			}
			if ev.Kind == llm.EventResponseDone {
				break
			}
		}
	}
	b.StopTimer()
	if got != n*b.N {
		b.Fatalf("got %d deltas", got)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(got), "ns/delta")
}
