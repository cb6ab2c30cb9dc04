package llm_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"neko/backend/llm"
)

// A client dropped after its call leaves no idle connection behind: callers
// build clients per call (memory summaries) or per session, and each
// forgotten keep-alive connection held a socket and two goroutines.
func TestDroppedClientClosesIdleConnections(t *testing.T) {
	var opened, closed atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed:
			closed.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	call := func() {
		c := llm.NewChatClient(llm.Endpoint{BaseURL: srv.URL + "/v1", APIKey: "k", Model: "m"}, llm.WithRetries(0, 0))
		res, err := c.Complete(context.Background(), llm.ChatRequest{Messages: []llm.Message{{Role: "user", Content: "hello"}}})
		if err != nil || res.Text != "hi" {
			t.Fatalf("complete: %v %+v", err, res)
		}
	}
	for range 5 {
		call()
	}
	if opened.Load() != 5 {
		t.Fatalf("%d connections opened for 5 clients", opened.Load())
	}
	for deadline := time.Now().Add(10 * time.Second); closed.Load() < opened.Load(); {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d idle connections still open after the clients were dropped", opened.Load()-closed.Load(), opened.Load())
		}
		runtime.GC()
		time.Sleep(20 * time.Millisecond)
	}
}
