package llm_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"neko/backend/llm"
)

// FuzzChatStream feeds arbitrary SSE bodies to the streaming client: it
// must never panic, and the returned text is always the deltas in order.
func FuzzChatStream(f *testing.F) {
	f.Add(sseBody(3))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n: keep-alive\n\ndata: [DONE]\n\n"))
	f.Add([]byte(`{"choices":[{"message":{"content":"whole"},"finish_reason":"stop"}]}`))
	f.Add([]byte("data: {\"error\":{\"message\":\"quota exceeded\"}}\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := llm.NewChatClient(llm.Endpoint{BaseURL: "http://fuzz.invalid/v1", Model: "m"}, llm.WithRetries(0, 0),
			llm.WithHTTPClient(&http.Client{Transport: cannedTransport{body: body}}))
		var got strings.Builder
		resp, _ := c.Stream(context.Background(), userMsg("x"), func(d string) error {
			got.WriteString(d)
			return nil
		})
		if resp.Text != got.String() {
			t.Fatalf("text %q deltas %q", resp.Text, got.String())
		}
	})
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(llm.EncodeWAV([]byte{1, 2, 3, 4}, 16000))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, rate, err := llm.DecodeWAV(b)
		if err != nil {
			return
		}
		if len(pcm)%2 != 0 || rate < 0 {
			t.Fatalf("pcm %d rate %d", len(pcm), rate)
		}
	})
}
